"""Recraft image edits and variations: OpenAI's upload forms on Recraft's image tools. Pure.

Read on 2026-12-06 in Recraft's API reference (https://www.recraft.ai/docs/api-reference/tools/
inpainting, .../tools/image-to-image, .../tools/remix, .../endpoints) and in the OpenAPI
document behind it as copied in github.com/tryAGI/Recraft (src/libs/Recraft/openapi.yaml).
What it says, in our words:

- Every tool is a synchronous POST that takes ``multipart/form-data`` (the file in
  ``image``, flat text fields; nested ones need the JSON form with data URLs) and
  answers like generations (``{created, credits, data: [{image_id, url|b64_json}]}``).
- The input image is PNG, JPG, WEBP or SVG, under 10 MB, at most 16 MP, each side
  256 to 4096 pixels.
- ``/v1/images/inpaint``: ``image``, ``mask``, ``prompt`` (required), ``model``, ``n``
  1-6, ``style``/``style_id``/``substyle``, ``negative_prompt``, ``random_seed``
  (uint32), ``response_format``, ``image_format`` (webp or png). The mask is greyscale,
  exactly the image's size: pure white (255) is regenerated, pure black (0) kept, and
  no other value is allowed.
- ``/v1/images/imageToImage``: the same fields without ``mask``, plus ``strength``
  (required; 0: almost the input, 1: almost no likeness). Works with V3, V4 and V4.1;
  ``style`` and ``negative_prompt`` with V3 only.
- ``/v1/images/variateImage`` ("Remix", $0.04 a request): ``image``, ``size``
  (required), ``n`` 1-6, ``model``, ``random_seed``, ``response_format``,
  ``image_format``; no prompt.

OpenAI's edit form maps so: a mask, or one image with transparent pixels and no mask
(dall-e-2's rule), goes to inpaint with OpenAI's area converted to Recraft's kind
(``masks.edit_area``: alpha 0 -> white, the rest black, at the image's size); a mask
without alpha is taken to be Recraft's own black-and-white one and sent as it is.
Otherwise the prompt changes the whole image through imageToImage, with ``strength``
0.5 unless the caller sends one (the gateway's choice: halfway between keeping and
redrawing). Variations go to variateImage with OpenAI's ``size``; the model is sent
only when the caller names one (Remix's own choice otherwise). Left out: outpaint,
eraseRegion, replaceBackground and the upscalers (no OpenAI field says when to use
them), SVG inputs (the gateway takes PNG, JPEG and WEBP), and ``controls`` /
``text_layout`` (nested: refused with a 400, not silently dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest, ProviderCall, Target, Upload
from .. import masks, multipart
from ..calls import bearer_json_headers, with_forwarded
from . import api
from .images import NAME, OPENAI_STYLES

MAX_BYTES = 10 * 1024 * 1024  # "under 10 MB"
MIN_SIDE, MAX_SIDE = 256, 4096
MAX_PIXELS = 16 * 1024 * 1024  # "up to 16 MP"
DEFAULT_STRENGTH = "0.5"
UINT32 = 2**32 - 1
# Text fields sent as the caller gave them, in this order, after prompt and model.
EDIT_FIELDS = ("n", "style", "style_id", "substyle", "negative_prompt", "response_format")
VARIATION_FIELDS = ("n", "response_format")
NESTED = ("controls", "text_layout", "artistic_level")
IMAGE_FORMATS = ("webp", "png")

File = tuple[str, Upload | bytes, str, str]


def build_edit_call(request: ImageRequest, target: Target) -> ProviderCall:
    image = _one_image(request)
    _refuse_nested(request.params)
    if request.model.startswith("recraftv2"):
        raise InvalidRequest(
            f"Model '{request.model}' has no image edits on {NAME}: use a V3, V4 or V4.1 model.",
            param="model",
        )
    if request.size != "auto":  # known models were checked already: a model we do not know
        raise InvalidRequest(
            f"'size' {request.size} cannot be honoured: {NAME}'s edits keep the input's "
            "framing. Send auto or leave it out.",
            param="size",
        )
    if not request.prompt:
        raise InvalidRequest(f"'prompt' is required by {NAME}'s image edits.", param="prompt")
    mask = _mask(request, image)
    fields = [("prompt", request.prompt), ("model", request.model)]
    fields += _given(request.params, EDIT_FIELDS)
    fields += _common(request.params)
    files: list[File] = [_image_part(image)]
    if mask is not None:
        if request.params.get("strength") is not None:
            raise InvalidRequest(
                f"'strength' is taken by {NAME}'s image-to-image edits (no mask), not by "
                "inpainting: leave it out or send no mask.",
                param="strength",
            )
        files.append(mask)
        return _call(target, api.INPAINT, fields, files)
    fields.append(("strength", _number(request.params, "strength", 0.0, 1.0, DEFAULT_STRENGTH)))
    return _call(target, api.IMAGE_TO_IMAGE, fields, files)


def build_variation_call(request: ImageRequest, target: Target) -> ProviderCall:
    image = _one_image(request)
    if request.size == "auto":
        raise InvalidRequest(
            f"'size' auto is not supported by {NAME}'s variations; give one of its sizes, "
            "e.g. 1024x1024.",
            param="size",
        )
    fields = [("size", request.size)]
    if not request.model_was_defaulted:
        fields.append(("model", request.model))
    fields += _given(request.params, VARIATION_FIELDS)
    fields += _common(request.params)
    return _call(target, api.VARIATE, fields, [_image_part(image)])


def _call(
    target: Target, path: str, fields: list[tuple[str, str]], files: list[File]
) -> ProviderCall:
    body, content_type = multipart.encode_files(fields, files)
    headers = with_forwarded(bearer_json_headers(target, content_type), target)
    return ProviderCall("POST", api.url(target, path), headers, body, target.pinned_ip)


def _one_image(request: ImageRequest) -> Upload:
    if len(request.images) != 1:
        raise InvalidRequest(
            f"{NAME} takes one image per request; got {len(request.images)}.", param="image"
        )
    image = request.images[0]
    width, height = image.width, image.height
    why = None
    if image.size > MAX_BYTES:
        why = f"it is {image.size} bytes; {NAME} takes files under 10 MB ({MAX_BYTES} bytes)"
    elif not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        why = f"it is {width}x{height}; each side must be {MIN_SIDE} to {MAX_SIDE} pixels"
    elif width * height > MAX_PIXELS:
        why = f"it is {width}x{height}; {NAME} takes at most 16 MP ({MAX_PIXELS:,} pixels)"
    if why is not None:
        raise InvalidRequest(f"The image in '{image.param}' is refused: {why}.", param=image.param)
    return image


def _image_part(image: Upload) -> File:
    return ("image", image, f"image.{image.format}", image.mime_type)


def _mask(request: ImageRequest, image: Upload) -> File | None:
    """The mask part in Recraft's white-means-regenerate, or None (no area: image-to-image)."""
    mask = masks.white_means_edit(request.mask, image, name=NAME)
    return None if mask is None else ("mask", *masks.part(mask))


def _given(params: Mapping[str, Any], names: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for name in names:
        value = params.get(name)
        if value is None or (name == "style" and value in OPENAI_STYLES):
            continue
        out.append((name, str(value)))
    return out


def _common(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``random_seed`` (``seed`` as an alias) and ``image_format``, checked."""
    out = []
    seed_name = "random_seed" if params.get("random_seed") is not None else "seed"
    seed = _number(params, seed_name, 0, UINT32, None, whole=True)
    if seed is not None:
        out.append(("random_seed", seed))
    fmt = params.get("image_format")
    if fmt is not None:
        if fmt not in IMAGE_FORMATS:
            raise InvalidRequest(
                f"'image_format' must be one of webp, png for {NAME}; got {fmt!r}.",
                param="image_format",
            )
        out.append(("image_format", fmt))
    return out


def _number(
    params: Mapping[str, Any], name: str, low: float, high: float, default: str | None, *,
    whole: bool = False,
) -> str | None:  # fmt: skip
    raw = params.get(name)
    if raw is None:
        return default
    try:
        number: float = int(str(raw)) if whole else float(str(raw))
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        what = "an integer" if whole else "a number"
        raise InvalidRequest(
            f"'{name}' must be {what} from {_show(low)} to {_show(high)} for {NAME}; got {raw!r}.",
            param=name,
        )
    return str(number)


def _show(bound: float) -> str:
    return str(int(bound)) if bound == int(bound) else str(bound)


def _refuse_nested(params: Mapping[str, Any]) -> None:
    for name in NESTED:
        if params.get(name) is not None:
            raise InvalidRequest(
                f"'{name}' cannot be sent to {NAME}'s image edits: its form takes flat "
                "fields only.",
                param=name,
            )
