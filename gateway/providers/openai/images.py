"""OpenAI image generation: request body and answer handling. Pure: no IO.

The body the caller sent is forwarded as sent (bytes untouched when nothing
changes), gpt-image fields included: Portkey drops them, which silently turns
a transparent-background request into an opaque one.
"""

from __future__ import annotations

import json
from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
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
    return json.dumps(params, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    headers = api.headers(target)
    built = {name.lower() for name in headers}
    # A forwarded header never replaces one the gateway builds (auth, accept, org/project).
    headers.update((n, v) for n, v in target.forward_headers if n.lower() not in built)
    return ProviderCall("POST", api.url(target), headers, body(request), target.pinned_ip)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    spec = CAPABILITIES.spec(request.model)
    native = spec.response_formats if spec else ("url", "b64_json")
    return openai_compatible(NAME, reply, request, native)
