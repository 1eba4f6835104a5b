"""Azure AI Foundry / Inference image generation. Pure: no IO.

Portkey runs this provider on the Azure OpenAI image config, and so do we: the same
body forwarding (default model dall-e-3), the same pass-through answer. Only the
endpoint and the headers are Foundry's (``api``).
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from ..answers import openai_compatible
from ..azure_openai.images import native_formats, with_forwarded
from ..openai.images import body
from . import api

NAME = api.NAME


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = with_forwarded(api.headers(target), target)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Portkey adds a top-level "provider" key to this answer; we keep OpenAI's shape.
    return openai_compatible(NAME, reply, request, native_formats(request))
