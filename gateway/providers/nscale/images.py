"""Nscale image generation: request body and answer handling. Pure: no IO.

Two Portkey bugs fixed here: Portkey stamps ``created`` with ``Date.now()``
(milliseconds, year 55000 to an OpenAI SDK), and a 2xx or error body without
``data`` crashes its transform into a bare 500. Every answer is parsed instead:
``created`` is read in seconds (converted when the provider sends milliseconds),
and anything that is not a list of images becomes an error naming Nscale.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from . import api

NAME = "nscale"
# Sent as the caller gave them; everything else is dropped, as Portkey does: Nscale
# documents only model, prompt, size and n (no response_format: it answers base64).
PARAMS = ("n",)


def body(request: ImageRequest) -> bytes:
    # "auto" size is left to the provider's default.
    return calls.openai_like_body(
        {"model": request.model, "prompt": request.prompt}, request, PARAMS
    )


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # No native format counts as "pass through": the body is always rebuilt, so that
    # ``created`` is checked and a body without ``data`` is an error, never a crash.
    return openai_compatible(NAME, reply, request, native=())
