"""Deepbricks image generation: an OpenAI reseller with OpenAI's images API. Pure: no IO.

Body and answer are handled exactly as for OpenAI (same models, same default
dall-e-2 as Portkey, body bytes forwarded untouched when nothing changes, answer
passed through); only the host and the organization/project header names differ.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from ..answers import openai_compatible
from ..openai.images import body
from . import api
from .capabilities import CAPABILITIES

NAME = "deepbricks"


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = api.headers(target)
    built = {name.lower() for name in headers}
    # A forwarded header never replaces one the gateway builds (auth, org/project).
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    spec = CAPABILITIES.spec(request.model)
    native = spec.response_formats if spec else ("url", "b64_json")
    return openai_compatible(NAME, reply, request, native)
