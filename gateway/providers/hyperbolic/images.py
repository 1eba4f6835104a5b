"""Hyperbolic image generation: request body and answer handling. Pure: no IO.

Hyperbolic's API is not OpenAI's: the model goes in ``model_name``, the size in
``width``/``height``, and the answer is ``{"images": [{"image": <base64>}],
"inference_time"}``. Portkey sends ``model`` (which Hyperbolic does not read), ignores
``size`` and passes the native answer through; here both directions are translated.
"""

from __future__ import annotations

from typing import Any

from ...errors import GatewayError
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
from ..answers import b64_image, error_in_success, invalid_answer, json_object, result
from ..errors import detail_error
from . import api

NAME = "hyperbolic"
# Hyperbolic's own fields, sent as the caller gave them. Not sent: ``response_format``
# (base64 only; the gateway hosts the image when a URL is asked), ``quality``, ``style``
# and ``user`` (OpenAI-only).
PARAMS = (
    "n", "steps", "cfg_scale", "negative_prompt", "seed", "sampler", "backend",
    "prompt_2", "negative_prompt_2", "enable_refiner",
)  # fmt: skip


def body(request: ImageRequest) -> bytes:
    params = request.params
    payload: dict[str, Any] = {"model_name": request.model, "prompt": request.prompt}
    size = sizes.parse(request.size) if params.get("size") is not None else None
    if size is not None:
        payload["width"], payload["height"] = size
    else:  # Portkey's callers give the two numbers themselves
        payload.update((k, params[k]) for k in ("width", "height") if params.get(k) is not None)
    payload.update((k, params[k]) for k in PARAMS if params.get(k) is not None)
    return calls.json_body(payload)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    data = json_object(NAME, reply)
    items = data.get("images")
    if not isinstance(items, list) or not items:
        if data.get("error") or data.get("detail"):
            raise error_in_success(NAME, reply, data.get("error") or data["detail"])
        raise invalid_answer(NAME, reply, "its body has no 'images' list")
    images = [b64_image(NAME, reply, _field(item, "image")) for item in items]
    # Hyperbolic gives no creation time: the gateway stamps its own.
    return result(NAME, reply, images)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else None


def parse_error(reply: ProviderReply) -> GatewayError:
    """OpenAI-like errors, or the web framework's ``{"detail": ...}`` ones."""
    return detail_error(NAME, reply)
