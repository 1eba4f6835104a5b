"""Azure OpenAI image generation: request and answer handling. Pure: no IO.

Azure's images API is OpenAI's, so the body is forwarded exactly as the OpenAI
provider forwards it (bytes untouched when nothing changes, the defaulted model
added, ``response_format`` removed for gpt-image models) and the answer is passed
through. Only the URL (resource, deployment, api-version) and auth differ.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from ..answers import openai_compatible
from ..openai.images import body
from . import api
from .capabilities import CAPABILITIES

NAME = api.NAME


def with_forwarded(headers: dict[str, str], target: Target) -> dict[str, str]:
    """Caller-forwarded headers, never replacing one the gateway builds (auth above all)."""
    built = {name.lower() for name in headers}
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return headers


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = with_forwarded(api.headers(target), target)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def native_formats(request: ImageRequest) -> tuple[str, ...]:
    spec = CAPABILITIES.spec(request.model)
    return spec.response_formats if spec else ("url", "b64_json")


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    return openai_compatible(NAME, reply, request, native_formats(request))
