"""Stability AI image generation: picks v1 or v2beta by model, reads answers and errors.

Pure: no IO. v1 engines get JSON (``v1.py``), every other model a multipart form
(``v2beta.py``), like Portkey. Both ask for JSON answers, so images arrive as base64
and the gateway hosts them when the caller wants a URL. Errors keep the upstream
status: v1 sends ``{id, name, message}``, v2beta ``{id, name, errors: [...]}``. An
image the content filter blurred (``CONTENT_FILTERED`` in the ``finish-reason`` header
or the body) is a 400 ``content_policy_violation``, not an image, and so is a prompt
the moderation refused (an error named ``content_moderation``).
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import GatewayError
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import answers, calls
from ..errors import decoded, flagged_output, openai_style_error, provider_error, refused_prompt
from . import v1, v2beta
from .capabilities import V1_ENGINES
from .params import FILTERED, NAME

# The error name of a prompt Stability's moderation refused.
MODERATED = "content_moderation"


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    if request.model in V1_ENGINES:
        url, headers, body = v1.call(request, target)
    else:
        url, headers, body = v2beta.call(request, target)
    return calls.post(target, url, headers, body)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    if reply.headers.get("finish-reason") == FILTERED:
        # The header form of the flag (both versions, sent with image answers).
        raise flagged_output(NAME, reply, f"finish reason {FILTERED}")
    if reply.content_type.startswith("image/"):
        # Only sent for "Accept: image/*", which we never ask for; a proxy might.
        return answers.raw_image(NAME, reply)
    data = answers.decode_json(NAME, reply)
    if (
        isinstance(data, dict)
        and ("errors" in data or "message" in data)
        and not (data.get("image") or data.get("artifacts"))
    ):
        raise answers.error_in_success(NAME, reply, _error_fields(data))
    if request.model in V1_ENGINES:
        images = v1.images(NAME, reply, data)
    else:
        images = v2beta.images(NAME, reply, data, request)
    return answers.result(NAME, reply, images)


def parse_error(reply: ProviderReply) -> GatewayError:
    """Stability's ``{id, name, message | errors}`` as our error, status kept.

    Except a refused prompt: the v2beta reference documents a 403 named
    ``content_moderation`` ("Your request was flagged by our content moderation
    system", https://platform.stability.ai/docs/api-reference#tag/Generate/paths/~1v2beta~1stable-image~1generate~1core/post).
    It becomes the 400 ``content_policy_violation`` OpenAI answers for a refused
    prompt, the provider's text kept. v1's published spec lists only
    ``permission_denied`` for a 403 (``components.responses.403`` in
    github.com/Stability-AI/rest-api-support generated/spec/v1.json), so a v1
    ``{name: content_moderation, message}`` is read the same way should it come;
    every other 403 (a bad key, a forbidden model) keeps its 403.
    """
    data = decoded(reply)
    if not (400 <= reply.status <= 599 and isinstance(data, dict)):
        return openai_style_error(NAME, reply)  # not JSON / odd status: the shared wording
    if "error" in data and not ("errors" in data or "message" in data):
        return openai_style_error(NAME, reply)  # an OpenAI-shaped proxy in between
    fields = _error_fields(data)
    if fields["type"] == MODERATED and 400 <= reply.status <= 499:
        return refused_prompt(NAME, reply, fields["message"])
    return provider_error(NAME, reply, fields["message"], fields["type"], fields["code"])


def _error_fields(data: dict[str, Any]) -> dict[str, Any]:
    """message from ``message`` (v1) or the ``errors`` list joined (v2beta); name as type."""
    message = data.get("message")
    errors = data.get("errors")
    if not isinstance(message, str) and isinstance(errors, list):
        message = ", ".join(e if isinstance(e, str) else json.dumps(e) for e in errors)
    name = data.get("name") if isinstance(data.get("name"), str) else None
    return {"message": message, "type": name, "code": name}
