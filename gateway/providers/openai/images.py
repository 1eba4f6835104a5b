"""OpenAI image generation: request body and answer handling. Pure: no IO.

The body the caller sent is forwarded as sent (bytes untouched when nothing
changes), gpt-image fields included: Portkey drops them, which silently turns
a transparent-background request into an opaque one.
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
    spec = CAPABILITIES.spec(request.model)
    if spec is not None and spec.response_formats == ("b64_json",) and "response_format" in params:
        # gpt-image models always answer base64 and reject the parameter.
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
    """The formats the model answers in itself (both for a model we do not know)."""
    spec = CAPABILITIES.spec(request.model)
    return spec.response_formats if spec else ("url", "b64_json")


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    return openai_compatible(NAME, reply, request, native_formats(request))
