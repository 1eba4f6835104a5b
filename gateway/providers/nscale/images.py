"""Nscale image generation: request body and answer handling. Pure: no IO.

Two Portkey bugs fixed here: Portkey stamps ``created`` with ``Date.now()``
(milliseconds, year 55000 to an OpenAI SDK), and a 2xx or error body without
``data`` crashes its transform into a bare 500. Every answer is parsed instead:
``created`` is read in seconds (converted when the provider sends milliseconds),
and anything that is not a list of images becomes an error naming Nscale.
"""

from __future__ import annotations

from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
from ..answers import openai_compatible
from . import api

NAME = "nscale"
# Sent as the caller gave them; everything else is dropped, as Portkey does: Nscale
# documents only model, prompt, size and n (no response_format: it answers base64).
PARAMS = ("n",)


def body(request: ImageRequest) -> bytes:
    payload: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
    payload.update((k, request.params[k]) for k in PARAMS if request.params.get(k) is not None)
    if request.params.get("size") is not None and sizes.parse(request.size) is not None:
        payload["size"] = request.size  # "auto" is left to Nscale's default
    return calls.json_body(payload)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # No native format counts as "pass through": the body is always rebuilt, so that
    # ``created`` is checked and a body without ``data`` is an error, never a crash.
    return openai_compatible(NAME, reply, request, native=())
