"""Lemonfox.ai image generation: request body and answer handling. Pure: no IO.

The answer is OpenAI's shape in either format, so it passes through untouched;
only the request is narrowed to the fields Lemonfox documents, as Portkey does.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from . import api

NAME = "lemonfox-ai"
NATIVE = ("url", "b64_json")
# Sent as the caller gave them. Not sent: ``model`` (there is one model), ``quality``,
# ``style`` and ``user`` (OpenAI-only; Lemonfox does not take them).
PARAMS = ("negative_prompt", "n", "response_format")


def body(request: ImageRequest) -> bytes:
    # "auto" size is left to the provider's default.
    return calls.openai_like_body({"prompt": request.prompt}, request, PARAMS)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Errors are OpenAI's {"error": {"message", "type"}}: the shared parser reads them.
    return openai_compatible(NAME, reply, request, NATIVE)
