"""SiliconFlow image generation: request body and answer handling. Pure: no IO.

SiliconFlow answers ``{"images": [{"url"}], "timings", "seed"}``; Portkey passes that
through, which no OpenAI client can read. Here it becomes our one shape: the links
are returned as ``url``, or fetched from SiliconFlow's storage when ``b64_json`` is asked.
"""

from __future__ import annotations

from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
from ..answers import (
    created_seconds,
    error_in_success,
    invalid_answer,
    json_object,
    openai_item,
    result,
)
from ..errors import openai_style_error
from . import api
from .capabilities import CAPABILITIES

NAME = "siliconflow"
# SiliconFlow's own fields, sent as the caller gave them. Not sent: ``response_format``
# (links only; the gateway converts), ``quality``, ``style`` and ``user`` (OpenAI-only).
PARAMS = ("negative_prompt", "seed", "num_inference_steps", "guidance_scale", "cfg")


def _image_size(request: ImageRequest) -> str:
    """``image_size`` is required: "auto" becomes the model's usual size."""
    if sizes.parse(request.size) is not None:
        return request.size
    spec = CAPABILITIES.spec(request.model)
    return str(spec.defaults.get("size", "1024x1024") if spec else "1024x1024")


def body(request: ImageRequest) -> bytes:
    params = request.params
    payload: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prompt,
        "image_size": _image_size(request),
    }
    # ``n`` is SiliconFlow's ``batch_size``; Portkey callers may send ``batch_size`` itself.
    if params.get("n") is not None:
        if request.n > 1:
            payload["batch_size"] = request.n
    elif params.get("batch_size") is not None:
        payload["batch_size"] = params["batch_size"]
    payload.update((k, params[k]) for k in PARAMS if params.get(k) is not None)
    return calls.json_body(payload)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        # {"code": 20012, "message": "..."}: the shared parser reads message and code.
        raise openai_style_error(NAME, reply)
    data = json_object(NAME, reply)
    items = data.get("images") or data.get("data")
    if not isinstance(items, list) or not items:
        if data.get("error"):
            raise error_in_success(NAME, reply, data["error"])
        if data.get("message"):
            raise error_in_success(NAME, reply, {k: data.get(k) for k in ("message", "code")})
        raise invalid_answer(NAME, reply, "its body has no 'images' list")
    images = [openai_item(NAME, reply, item) for item in items]
    return result(NAME, reply, images, created_seconds(data.get("created")))
