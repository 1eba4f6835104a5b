"""DeepInfra image generation: request body and answer handling. Pure: no IO.

Portkey has no DeepInfra image route (it answers 500); DeepInfra's endpoint speaks
OpenAI's shape, so the body is OpenAI's minus what DeepInfra cannot take, and the
answer is OpenAI's (base64 only).
"""

from __future__ import annotations

from ...errors import GatewayError
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from ..errors import detail_error
from . import api

NAME = "deepinfra"
NATIVE = ("b64_json",)
# Documented fields sent as the caller gave them. Not sent: ``response_format`` (only
# ``b64_json`` exists and is the default, ``url`` is refused; the gateway hosts the image
# when a URL is asked), ``quality`` and ``style`` (OpenAI's dall-e values, meaningless
# to FLUX or Stable Diffusion).
PARAMS = ("n", "user")


def body(request: ImageRequest) -> bytes:
    # "auto" size is left to the provider's default.
    return calls.openai_like_body(
        {"prompt": request.prompt, "model": request.model}, request, PARAMS
    )


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    return openai_compatible(NAME, reply, request, NATIVE)


def parse_error(reply: ProviderReply) -> GatewayError:
    """OpenAI-like errors, or the web framework's ``{"detail": ...}`` ones."""
    return detail_error(NAME, reply)
