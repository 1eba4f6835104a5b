"""Lemonfox.ai image generation: request body and answer handling. Pure: no IO.

The answer is OpenAI's shape in either format, so it passes through untouched;
only the request is narrowed to the fields Lemonfox documents, as Portkey does.
"""

from __future__ import annotations

from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
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
    return calls.json_body(payload)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Errors are OpenAI's {"error": {"message", "type"}}: the shared parser reads them.
    return openai_compatible(NAME, reply, request, NATIVE)
