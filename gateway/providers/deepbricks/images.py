"""Deepbricks image generation: an OpenAI reseller with OpenAI's images API. Pure: no IO.

Body and answer are handled exactly as for OpenAI (same models, same default
dall-e-2 as Portkey, body bytes forwarded untouched when nothing changes, answer
passed through); only the host and the organization/project header names differ.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from ..openai.images import body, native_formats
from . import api

NAME = "deepbricks"


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), api.headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    return openai_compatible(NAME, reply, request, native_formats(request))
