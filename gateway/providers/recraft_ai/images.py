"""Recraft image generation: request body and answer handling. Pure: no IO.

Recraft speaks OpenAI's shape (``data[].url`` or ``data[].b64_json``, plus its own
``image_id`` and ``credits``), so a good answer passes through untouched. Like
Portkey, a 2xx body that carries ``error`` is an error, even next to ``data``.
"""

from __future__ import annotations

from typing import Any

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
from ..answers import decode_json, error_in_success, openai_compatible
from . import api

NAME = "recraft-ai"
NATIVE = ("url", "b64_json")
# Recraft's own fields, sent as the caller gave them (Portkey's list plus the
# documented negative_prompt and text_layout). Not sent: ``quality`` and ``user``
# (OpenAI-only), and OpenAI's ``style`` values below.
PARAMS = (
    "n", "response_format", "style", "style_id", "substyle", "negative_prompt",
    "text_layout", "controls",
)  # fmt: skip
OPENAI_STYLES = ("vivid", "natural")


def body(request: ImageRequest) -> bytes:
    params = request.params
    # The model is always named: Recraft's default changes with each release.
    payload: dict[str, Any] = {"prompt": request.prompt, "model": request.model}
    payload.update((k, params[k]) for k in PARAMS if params.get(k) is not None)
    if payload.get("style") in OPENAI_STYLES:
        del payload["style"]
    if params.get("size") is not None and sizes.parse(request.size) is not None:
        payload["size"] = request.size  # "auto" is left to Recraft's default (1:1)
    if params.get("artistic_level") is not None:
        # Portkey sends it top-level; Recraft documents it inside ``controls``.
        controls = payload.get("controls")
        controls = dict(controls) if isinstance(controls, dict) else {}
        controls.setdefault("artistic_level", params["artistic_level"])
        payload["controls"] = controls
    return calls.json_body(payload)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Errors: {"code", "message"} or OpenAI's {"error": {...}}; the shared parser reads both.
    if 200 <= reply.status < 300 and b'"error"' in reply.body:
        data = decode_json(NAME, reply)
        if isinstance(data, dict) and data.get("error"):
            raise error_in_success(NAME, reply, data["error"])
    return openai_compatible(NAME, reply, request, NATIVE)
