"""Hyperbolic image generation: request body and answer handling. Pure: no IO.

Hyperbolic's API is not OpenAI's: the model goes in ``model_name``, the size in
``width``/``height``, and the answer is ``{"images": [{"image": <base64>}],
"inference_time"}``. Portkey sends ``model`` (which Hyperbolic does not read), ignores
``size`` and passes the native answer through; here both directions are translated.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ...errors import GatewayError
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import sizes
from ..answers import b64_image, decode_json, error_in_success, invalid_answer, result
from ..errors import openai_style_error
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
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = api.headers(target)
    built = {name.lower() for name in headers}
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    data = decode_json(NAME, reply)
    if not isinstance(data, dict):
        raise invalid_answer(NAME, reply, "its body is not a JSON object")
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
    """OpenAI-like errors, or the web framework's ``{"detail": ...}`` (authentication,
    body validation), whose text would otherwise be lost."""
    detail = _detail(reply.body)
    if detail is not None:
        wrapped = json.dumps({"error": {"message": detail}}).encode()
        reply = dataclasses.replace(reply, body=wrapped)
    return openai_style_error(NAME, reply)


def _detail(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "error" in data or "detail" not in data:
        return None
    detail = data["detail"]
    if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": "..."}]
        detail = "; ".join(_problem(item) for item in detail)
    return detail if isinstance(detail, str) else json.dumps(detail)


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc") or ())
    return f"{where}: {item.get('msg')}" if where else str(item.get("msg", item))
