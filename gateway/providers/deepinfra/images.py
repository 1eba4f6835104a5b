"""DeepInfra image generation: request body and answer handling. Pure: no IO.

Portkey has no DeepInfra image route (it answers 500); DeepInfra's endpoint speaks
OpenAI's shape, so the body is OpenAI's minus what DeepInfra cannot take, and the
answer is OpenAI's (base64 only).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ...errors import GatewayError
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import sizes
from ..answers import openai_compatible
from ..errors import openai_style_error
from . import api

NAME = "deepinfra"
NATIVE = ("b64_json",)
# Documented fields sent as the caller gave them. Not sent: ``response_format`` (only
# ``b64_json`` exists and is the default, ``url`` is refused; the gateway hosts the image
# when a URL is asked), ``quality`` and ``style`` (OpenAI's dall-e values, meaningless
# to FLUX or Stable Diffusion).
PARAMS = ("n", "user")


def body(request: ImageRequest) -> bytes:
    payload: dict[str, Any] = {"prompt": request.prompt, "model": request.model}
    payload.update((k, request.params[k]) for k in PARAMS if request.params.get(k) is not None)
    if request.params.get("size") is not None and sizes.parse(request.size) is not None:
        payload["size"] = request.size  # "auto" is left to DeepInfra's default
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = api.headers(target)
    built = {name.lower() for name in headers}
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    return openai_compatible(NAME, reply, request, NATIVE)


def parse_error(reply: ProviderReply) -> GatewayError:
    """OpenAI-shaped errors, except the web framework's own ``{"detail": ...}`` refusals
    (authentication, body validation), whose text would otherwise be lost."""
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
    if isinstance(detail, dict):  # {"detail": {"error": "Not authenticated"}}
        detail = detail.get("error") or detail.get("message") or detail
    if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": "..."}]
        detail = "; ".join(_problem(item) for item in detail)
    return detail if isinstance(detail, str) else json.dumps(detail)


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc") or ())
    return f"{where}: {item.get('msg')}" if where else str(item.get("msg", item))
