"""Stability AI image edits: OpenAI's edit form on the v2beta Stable Image services. Pure.

Read on 2026-12-06 in Stability's API reference (https://platform.stability.ai/docs/api-reference,
tags Edit and Generate), through the OpenAPI document behind it as copied in
github.com/tryAGI/StabilityAI (src/libs/StabilityAI/openapi.yaml and the request models
generated from it). What it says, in our words:

- Every service takes ``multipart/form-data`` with the file in ``image`` (jpeg, png or
  webp, each side at least 64 pixels) and answers like generations (``{image, seed,
  finish_reason}`` as JSON for ``Accept: application/json``; ``CONTENT_FILTERED`` when
  moderation blurred the output). A body over 10 MiB is a 413 ``payload_too_large``.
- ``edit/inpaint``: ``prompt`` (required, up to 10,000 characters), ``mask``,
  ``negative_prompt``, ``grow_mask`` 0-100, ``seed`` 0-4294967294, ``output_format``,
  ``style_preset``; 4,096 to 9,437,184 pixels; 5 credits. The mask is black and white:
  white pixels are inpainted at full strength, black ones kept. Without a mask
  Stability derives one from the image's alpha (transparent = inpaint).
- ``edit/erase``: ``mask``, ``grow_mask`` 0-20, ``seed``, ``output_format``; the same
  pixel range; 5 credits. No prompt is sent: the description lists ``image`` alone as
  required and the schema has no ``prompt`` property (its ``required`` list naming
  ``prompt`` reads as a copy of inpaint's).
- ``edit/outpaint``: ``left``/``right``/``up``/``down`` 0-2000 (one of them above 0),
  ``creativity`` 0-1, ``prompt`` (optional), ``seed``, ``output_format``,
  ``style_preset``; the image's ratio from 1:2.5 to 2.5:1.
- ``edit/search-and-replace`` (``search_prompt``) and ``edit/search-and-recolor``
  (``select_prompt``): ``prompt``, ``negative_prompt``, ``grow_mask`` 0-20, ``seed``,
  ``output_format``, ``style_preset``; ratio 1:2.5 to 2.5:1.
- ``edit/remove-background``: ``output_format``; 4,096 to 4,194,304 pixels.
- ``generate/sd3`` with ``mode=image-to-image`` needs ``prompt``, ``image`` and
  ``strength`` (0: the input, 1: as if there were none); ``model``, ``seed``,
  ``negative_prompt``, ``cfg_scale``, ``style_preset``, ``output_format`` as for text.

OpenAI's form maps so: a mask, or one image with transparent pixels and no mask
(dall-e-2's rule), goes to Inpaint with an explicit mask converted from OpenAI's alpha
(``masks.edit_area``, alpha 0 -> white), so the area is exactly OpenAI's rather than
Stability's own reading of partial alpha; a mask without alpha is taken to be
Stability's black-and-white kind and sent as it is. With no area at all and no model
named, the prompt changes the whole image: sd3 image-to-image, the documented service
for that, with ``strength`` 0.7 unless the caller sends one (the gateway's choice:
the input's composition kept, the prompt free to restyle it). ``model`` names another
Edit service or an sd3 model; each gets only its documented fields. Variations: no
Stability service makes one, so the provider has none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest, ProviderCall, Target, Upload
from .. import masks, multipart
from ..calls import bearer_json_headers, with_forwarded
from . import api
from .capabilities import EDIT_SERVICES, INPAINT, SD3_MODELS, SERVICES, V1_ENGINES
from .params import NAME, text_param

SD3 = "sd3"
MAX_BODY = 10 * 1024 * 1024  # "payloads cannot be larger than 10MiB"
MIN_SIDE = 64
BIG, SMALL = 9_437_184, 4_194_304  # most pixels: the Edit services / remove-background
DEFAULT_STRENGTH = 0.7
_SEED = (0, 4294967294, True)
_EDGE = (0, 2000, True)
EDGES = ("left", "right", "up", "down")


@dataclass(frozen=True)
class Service:
    """One v2beta service: the form fields it documents (after ``image``) and its limits."""

    fields: tuple[str, ...]  # optional text fields, sent in this order when given
    prompt: str = "required"  # or "optional", "none"
    mask: bool = False
    required: tuple[str, ...] = ()
    max_pixels: int | None = BIG
    max_ratio: float | None = None
    ranges: Mapping[str, tuple[float, float, bool]] = field(default_factory=dict)


_GROW20 = {"grow_mask": (0, 20, False), "seed": _SEED}
_SEARCH = ("negative_prompt", "grow_mask", "seed", "output_format", "style_preset")
SPECS: Mapping[str, Service] = {
    INPAINT: Service(_SEARCH, mask=True, ranges={"grow_mask": (0, 100, False), "seed": _SEED}),
    "erase": Service(("grow_mask", "seed", "output_format"), "none", mask=True, ranges=_GROW20),
    "outpaint": Service(
        (*EDGES, "creativity", "seed", "output_format", "style_preset"),
        "optional",
        max_ratio=2.5,
        ranges={**dict.fromkeys(EDGES, _EDGE), "creativity": (0, 1, False), "seed": _SEED},
    ),
    "search-and-replace": Service(
        ("search_prompt", *_SEARCH), required=("search_prompt",), max_ratio=2.5, ranges=_GROW20
    ),
    "search-and-recolor": Service(
        ("select_prompt", *_SEARCH), required=("select_prompt",), max_ratio=2.5, ranges=_GROW20
    ),
    "remove-background": Service(("output_format",), "none", max_pixels=SMALL),
    SD3: Service(
        ("strength", "negative_prompt", "seed", "cfg_scale", "style_preset", "output_format"),
        max_pixels=None,
        ranges={"strength": (0, 1, False), "seed": _SEED, "cfg_scale": (1, 10, False)},
    ),
}


def route(request: ImageRequest) -> tuple[str, str | None]:
    """(service, sd3 ``model`` field or None) by the model name alone, without decoding
    any image: what ``build_call`` does unless a transparent image proves opaque."""
    model = request.model
    if model in (*SERVICES, *V1_ENGINES):
        raise InvalidRequest(
            f"'model' {model!r} has no image edits on {NAME}: use one of "
            f"{', '.join(EDIT_SERVICES)} or an sd3 model ({', '.join(SD3_MODELS[1:])}).",
            param="model",
        )
    if model in EDIT_SERVICES:
        one = len(request.images) == 1 and request.images[0].has_alpha
        if model == INPAINT and request.model_was_defaulted and request.mask is None and not one:
            return SD3, None
        return model, None
    return SD3, None if model == SD3 else model


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    first = _one_image(request)
    service, model = route(request)
    if SPECS[service].mask and (request.mask is not None or not request.model_was_defaulted):
        # The service's pixel limits before the mask decodes any pixel (a defaulted
        # model may still turn into sd3 below, whose limits differ).
        _check_image(first, service, SPECS[service])
    mask = _mask(request, first) if SPECS[service].mask else None
    if service == INPAINT and mask is None and request.model_was_defaulted:
        service, model = SD3, None  # a transparent image without a transparent pixel
    spec = SPECS[service]
    if request.mask is not None and not spec.mask:
        raise InvalidRequest(
            f"'mask' is not taken by {NAME}'s {service} service; model inpaint or erase takes one.",
            param="mask",
        )
    if spec.mask and mask is None:
        raise InvalidRequest(
            "No area to edit: OpenAI's mask marks it with fully transparent pixels (alpha 0), "
            f"and this request has none. Send a mask, or another model (e.g. {SD3_MODELS[1]}) "
            "to change the whole image by prompt.",
            param="mask",
        )
    _check_image(first, service, spec)
    files: list[tuple[str, Upload | bytes, str, str]] = [
        ("image", first, f"image.{first.format}", first.mime_type)
    ]
    if mask is not None:
        files.append(("mask", *mask))
    body, content_type = multipart.encode_files(_fields(request, service, spec, model), files)
    if len(body) > MAX_BODY:
        raise InvalidRequest(
            f"The upload would make a {len(body)}-byte request; {NAME} takes at most 10 MiB "
            f"({MAX_BODY} bytes) per request. Send a smaller image.",
            param="image",
        )
    url = api.v2_url(target, SD3) if service == SD3 else api.edit_url(target, service)
    headers = with_forwarded(bearer_json_headers(target, content_type), target)
    return ProviderCall("POST", url, headers, body, target.pinned_ip)


def _one_image(request: ImageRequest) -> Upload:
    if len(request.images) != 1:
        raise InvalidRequest(
            f"{NAME} edits one image per request; got {len(request.images)}.", param="image"
        )
    if request.size != "auto":  # known models were checked already: a model we do not know
        raise InvalidRequest(
            f"'size' {request.size} cannot be honoured: {NAME}'s edits keep the input's "
            "framing. Send auto or leave it out.",
            param="size",
        )
    return request.images[0]


def _mask(request: ImageRequest, first: Upload) -> tuple[Upload | bytes, str, str] | None:
    """The mask part: OpenAI's alpha mask (or the image's own transparency) converted to
    Stability's white-means-edit, or a mask without alpha as sent (Stability's kind)."""
    mask = masks.white_means_edit(request.mask, first, fit=False)
    return None if mask is None else masks.part(mask)


def _check_image(image: Upload, service: str, spec: Service) -> None:
    width, height, pixels = image.width, image.height, image.width * image.height
    why = None
    if min(width, height) < MIN_SIDE:
        why = f"each side must be at least {MIN_SIDE} pixels"
    elif spec.max_pixels is not None and pixels > spec.max_pixels:
        why = f"it takes at most {spec.max_pixels:,} pixels"
    elif spec.max_ratio is not None and max(width, height) > spec.max_ratio * min(width, height):
        why = f"the long side may be at most {spec.max_ratio:g} times the short one"
    if why is not None:
        raise InvalidRequest(
            f"The image in '{image.param}' is {width}x{height}; {NAME}'s {service} service "
            f"refuses it: {why}.",
            param=image.param,
        )


def _fields(
    request: ImageRequest, service: str, spec: Service, model: str | None
) -> list[tuple[str, str]]:
    params = request.params
    _require(request, service, spec)
    out: list[tuple[str, str]] = []
    if spec.prompt != "none" and request.prompt:
        out.append(("prompt", request.prompt))
    if service == SD3:
        out.append(("mode", "image-to-image"))
        if model is not None:
            out.append(("model", model))
    for name in spec.fields:
        value = _value(params, name, spec)
        if value is None and service == SD3 and name == "strength":
            value = json.dumps(DEFAULT_STRENGTH)
        if value is not None:
            out.append((name, value))
    if service == "outpaint" and not any(float(v) for n, v in out if n in EDGES):
        raise InvalidRequest(
            f"{NAME}'s outpaint service needs at least one of 'left', 'right', 'up', 'down' "
            "above 0 (pixels to add on that side, up to 2000).",
            param="left",
        )
    return out


def _require(request: ImageRequest, service: str, spec: Service) -> None:
    if spec.prompt == "required" and not request.prompt:
        raise InvalidRequest(f"'prompt' is required by {NAME}'s {service} service.", param="prompt")
    for name in spec.required:
        if not text_param(request.params, name):
            raise InvalidRequest(f"'{name}' is required by {NAME}'s {service} service.", param=name)


def _value(params: Mapping[str, Any], name: str, spec: Service) -> str | None:
    """The form text for ``name``: numbers parsed and range-checked, sent normalised."""
    if name not in spec.ranges:
        return text_param(params, name)
    raw = params.get(name)
    if raw is None:
        return None
    low, high, whole = spec.ranges[name]
    try:
        number: float = int(str(raw)) if whole else float(str(raw))
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        what = "an integer" if whole else "a number"
        raise InvalidRequest(
            f"'{name}' must be {what} from {low:g} to {high:g} for {NAME}; got {raw!r}.",
            param=name,
        )
    return json.dumps(number)
