"""OpenAI image generation: request body and answer handling. Pure: no IO.

The body the caller sent is forwarded as sent (bytes untouched when nothing
changes), gpt-image fields included: Portkey drops them, which silently turns
a transparent-background request into an opaque one. ``response_format`` is the
exception: OpenAI refuses it for GPT image models (gpt-image-*, chatgpt-image-*,
listed or not), which always answer base64, so it is left out and a ``url`` asked
for is served by the gateway (``delivery``).
"""

from __future__ import annotations

from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from . import api
from .capabilities import CAPABILITIES

NAME = "openai"


def body(request: ImageRequest) -> bytes:
    params: dict[str, Any] = dict(request.params)
    changed = False
    if native_formats(request) == ("b64_json",) and "response_format" in params:
        # gpt-image models always answer base64 and reject the parameter; the gateway
        # hosts the image when ``url`` is asked.
        del params["response_format"]
        changed = True
    if request.model_was_defaulted:
        params = {"model": request.model, **{k: v for k, v in params.items() if k != "model"}}
        changed = True
    if not changed:
        return request.raw
    return calls.json_body(params)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), api.headers(target), body(request))


def native_formats(request: ImageRequest) -> tuple[str, ...]:
    """The formats the model answers in itself: base64 only for every GPT image model,
    listed or newer (its family's defaults say so); both for another unknown model."""
    spec = CAPABILITIES.spec(request.model)
    if spec is not None:
        return spec.response_formats
    if CAPABILITIES.defaults(request.model).get("response_format") == "b64_json":
        return ("b64_json",)
    return ("url", "b64_json")


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    return openai_compatible(NAME, reply, request, native_formats(request))
