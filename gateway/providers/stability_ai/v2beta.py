"""Stability's v2beta Stable Image services (Core, Ultra, SD3.x): form and answer. Pure: no IO.

``core`` and ``ultra`` have their own paths; every other model is a ``model`` field
of the sd3 service (Portkey's "sd3" means that service with Stability's default
model). One image per call, so ``n`` above 1 is refused rather than silently
ignored as Portkey does. ``size`` becomes an ``aspect_ratio`` through the ratio
table; ``quality``, ``user`` and OpenAI's vivid/natural styles are not sent, and
neither are ``mode``/``image``/``strength`` (image-to-image needs a file upload).
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...models import GeneratedImage, ImageRequest, ProviderReply, Target
from .. import answers, multipart
from ..calls import bearer_json_headers
from ..errors import flagged_output
from . import api
from .capabilities import RATIO_OF_SIZE, SD3_RANGES, SERVICES, V2_RANGES
from .params import FILTERED, NAME, check_ranges, form_value, style_preset, text_param

_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def route(model: str) -> tuple[str, str | None]:
    """(service path segment, ``model`` form field or None)."""
    if model in SERVICES or model == "sd3":
        return model, None
    return "sd3", model


def aspect_ratio(request: ImageRequest) -> str | None:
    """The caller's ``aspect_ratio`` (Portkey's field), else the ratio of ``size``."""
    given = text_param(request.params, "aspect_ratio")
    derived = None
    if request.size != "auto":
        derived = RATIO_OF_SIZE.get(request.size)
        if derived is None:  # known models were checked already: a model we do not know
            sizes = ", ".join(RATIO_OF_SIZE)
            raise InvalidRequest(
                f"'size' {request.size} is not a size {NAME} v2beta renders; use one of "
                f"{sizes} or auto.",
                param="size",
            )
    if given is None:
        return derived
    if request.params.get("size") is not None and derived not in (None, given):
        raise InvalidRequest(
            f"'aspect_ratio' {given} contradicts 'size' {request.size} ({derived}); "
            "send one of them.",
            param="aspect_ratio",
        )
    return given


def fields(request: ImageRequest) -> list[tuple[str, str]]:
    params = request.params
    if request.n != 1:  # known models were checked already: a model we do not know
        raise InvalidRequest(f"'n' must be 1 for {NAME} v2beta models.", param="n")
    service, model = route(request.model)
    check_ranges(params, SD3_RANGES if service == "sd3" else V2_RANGES)
    out = [("prompt", request.prompt)]
    if model is not None:
        out.append(("model", model))
    optional: list[tuple[str, Any]] = [
        ("negative_prompt", text_param(params, "negative_prompt")),
        ("aspect_ratio", aspect_ratio(request)),
        ("seed", params.get("seed")),
        ("style_preset", style_preset(params)),
        ("output_format", text_param(params, "output_format")),
        ("cfg_scale", params.get("cfg_scale") if service == "sd3" else None),
    ]
    out.extend((name, form_value(value)) for name, value in optional if value is not None)
    return out


def call(request: ImageRequest, target: Target) -> tuple[str, dict[str, str], bytes]:
    body, content_type = multipart.encode(fields(request))
    service, _ = route(request.model)
    return api.v2_url(target, service), bearer_json_headers(target, content_type), body


def images(
    name: str, reply: ProviderReply, data: Any, request: ImageRequest
) -> list[GeneratedImage]:
    """``{"image": <base64>, "finish_reason", "seed"}``.

    ``finish_reason: CONTENT_FILTERED`` is, per the v2beta reference, a generation
    whose image moderation blurred: a 400 ``content_policy_violation`` as OpenAI
    answers a refused prompt, never the blurred image
    (https://platform.stability.ai/docs/api-reference#tag/Generate/paths/~1v2beta~1stable-image~1generate~1core/post).
    A refused prompt is Stability's own 403 ``content_moderation`` error instead.
    """
    if not isinstance(data, dict):
        raise answers.invalid_answer(name, reply, "its body is not a JSON object")
    if data.get("finish_reason") == FILTERED:
        raise flagged_output(name, reply, f"finish reason {FILTERED}")
    kind = _TYPES.get(str(request.params.get("output_format")), "image/png")
    return [answers.b64_image(name, reply, data.get("image"), content_type=kind)]
