"""Segmind image generation: JSON body, base64 / raw image answers, errors. Pure: no IO.

``n`` becomes ``samples``, ``size`` ``img_width``/``img_height``, ``steps``
``num_inference_steps`` and ``qr_size`` ``size`` (Portkey's names); ``base64: true``
is always sent so answers are JSON ``{"image": <base64 or list>}``, but a model that
ignores it answers raw image bytes, which work too. Unlike Portkey, no default is
invented (Portkey always sends 20 steps). ``quality``, ``user`` and OpenAI's
vivid/natural styles are not sent. Errors are ``{"error": "..."}`` (or
``{"message"}``/``{"detail"}``), status kept (406 = out of credits).
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import GatewayError, InvalidRequest
from ...models import GeneratedImage, ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import answers, calls, sizes
from ..errors import decoded, openai_style_error
from . import api
from .capabilities import CAPABILITIES, RANGES, SDXL, SDXL_SIDES

NAME = "segmind"
# Caller parameters passed through (to a known model only those its table lists).
PARAMS = (
    "negative_prompt",
    "style",
    "scheduler",
    "num_inference_steps",
    "guidance_scale",
    "seed",
    "strength",
    "refiner",
    "high_noise_fraction",
    "control_scale",
    "control_start",
    "control_end",
    "qr_text",
    "invert",
)


def _check(request: ImageRequest, width: int | None, height: int | None) -> None:
    if request.model == SDXL and not (width in SDXL_SIDES and height in SDXL_SIDES):
        raise InvalidRequest(
            f"'size' {request.size} is not supported by model '{SDXL}'; each side must be "
            f"a multiple of 8 from {SDXL_SIDES.start} to {SDXL_SIDES.stop - 1}.",
            param="size",
        )
    if CAPABILITIES.spec(request.model) is None:
        return  # another model's limits are its own: Segmind checks them
    for name, (low, high) in RANGES.items():
        value = request.params.get(name)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise InvalidRequest(f"'{name}' must be a number from {low} to {high}.", param=name)


def body(request: ImageRequest) -> dict[str, Any]:
    params = dict(request.params)
    if params.get("steps") is not None:
        params.setdefault("num_inference_steps", params["steps"])
    if params.get("style") in ("vivid", "natural"):
        del params["style"]
    width, height = sizes.parse(request.size) or (None, None)
    _check(request, width, height)
    spec = CAPABILITIES.spec(request.model)
    allowed = [n for n in PARAMS if spec is None or n in spec.extras or n == "style"]
    out: dict[str, Any] = {"prompt": request.prompt, "samples": request.n}
    if width is not None:
        out.update(img_width=width, img_height=height)
    out.update((n, params[n]) for n in allowed if params.get(n) is not None)
    if spec is None and params.get("qr_size") is not None:
        out["size"] = params["qr_size"]
    out["base64"] = True
    return out


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    raw = calls.json_body(body(request))
    url = api.url(target, request.model)
    return calls.post(target, url, api.headers(target), raw)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    if reply.content_type.startswith("image/"):
        return answers.raw_image(NAME, reply)
    data = answers.json_object(NAME, reply)
    if "image" not in data and ("error" in data or "message" in data):
        raise answers.error_in_success(NAME, reply, data.get("error") or data.get("message"))
    found = data.get("image")
    values = found if isinstance(found, list) else [found]
    return answers.result(NAME, reply, [_image(reply, value) for value in values])


def _image(reply: ProviderReply, value: Any) -> GeneratedImage:
    """Base64 (possibly a data URI); a URL is kept as one, fetched only when needed."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return GeneratedImage(url=value)
    if isinstance(value, str) and value.startswith("data:"):
        value = value.partition(",")[2]
    return answers.b64_image(NAME, reply, value)


def parse_error(reply: ProviderReply) -> GatewayError:
    """``{"error": ...}`` / ``{"message": ...}`` read as OpenAI's; ``{"detail"}`` too."""
    data = decoded(reply)
    if isinstance(data, dict) and "detail" in data and not ("error" in data or "message" in data):
        detail = data["detail"]
        message = detail if isinstance(detail, str) else json.dumps(detail)
        fixed = json.dumps({"error": {"message": message}}).encode()
        reply = ProviderReply(reply.status, reply.headers, fixed, reply.elapsed_ms)
    return openai_style_error(NAME, reply)
