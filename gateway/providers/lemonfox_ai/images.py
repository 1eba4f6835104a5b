"""Lemonfox.ai image generation: request body and answer handling. Pure: no IO.

The answer is OpenAI's shape in either format, so it passes through untouched;
only the request is narrowed to the fields Lemonfox documents, as Portkey does.
"""

from __future__ import annotations

import json
from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import sizes
from ..answers import openai_compatible
from . import api

NAME = "lemonfox-ai"
NATIVE = ("url", "b64_json")
# Sent as the caller gave them. Not sent: ``model`` (there is one model), ``quality``,
# ``style`` and ``user`` (OpenAI-only; Lemonfox does not take them).
PARAMS = ("negative_prompt", "n", "response_format")


def body(request: ImageRequest) -> bytes:
    payload: dict[str, Any] = {"prompt": request.prompt}
    payload.update((k, request.params[k]) for k in PARAMS if request.params.get(k) is not None)
    if request.params.get("size") is not None and sizes.parse(request.size) is not None:
        payload["size"] = request.size  # "auto" is left to Lemonfox's default
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = api.headers(target)
    built = {name.lower() for name in headers}
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Errors are OpenAI's {"error": {"message", "type"}}: the shared parser reads them.
    return openai_compatible(NAME, reply, request, NATIVE)
