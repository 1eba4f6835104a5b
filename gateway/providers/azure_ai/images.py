"""Azure AI Foundry / Inference image generation. Pure: no IO.

Portkey runs this provider on the Azure OpenAI image config, and so do we: the same
body forwarding (default model dall-e-3), the same pass-through answer. Only the
endpoint and the headers are Foundry's (``api``). An item Azure's content filter
flags makes the answer a 400, as for Azure OpenAI.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from ..azure_openai import filtered
from ..openai.images import body, native_formats
from . import api

NAME = api.NAME


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), api.headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Portkey adds a top-level "provider" key to this answer; we keep OpenAI's shape.
    filtered.check(NAME, reply)
    return openai_compatible(NAME, reply, request, native_formats(request))
