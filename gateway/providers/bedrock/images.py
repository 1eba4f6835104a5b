"""Bedrock image generation: the body each model family takes, answers, errors. Pure.

The family comes from the model id (a cross-region prefix such as ``us.`` stripped):
``stability.stable-diffusion-xl*`` -> SDXL, other ``stability.*`` -> SD3/Core/Ultra,
``amazon.titan-image-generator*`` and ``amazon.nova-canvas*`` -> the TEXT_IMAGE task.
Portkey 1.15.2 only knows the Stability ones (Titan and Nova give it a 500). Errors
are ``{"message"}`` with the HTTP status and an ``x-amzn-ErrorType`` header; a prompt
the content filters refused is a 400 ``content_policy_violation`` (``filtered.py``).
"""

from __future__ import annotations

from typing import Any

from ...errors import GatewayError, InvalidRequest
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import answers, calls
from ..errors import decoded, openai_style_error, provider_error
from . import amazon, api, filtered, stability
from .capabilities import AMAZON, SDXL, STABILITY, family

NAME = api.NAME


def body(request: ImageRequest) -> dict[str, Any]:
    kind = family(request.model)
    if kind == SDXL:
        return stability.sdxl_body(request)
    if kind == STABILITY:
        return stability.v2_body(request)
    if kind == AMAZON:
        return amazon.body(request)
    raise InvalidRequest(
        f"'model' {request.model!r} is not an image model {NAME} knows how to call: use a "
        "stability.*, amazon.titan-image-generator-* or amazon.nova-canvas-* model id "
        "(with its cross-region prefix if any).",
        param="model",
    )


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return call(target, request.model, body(request))


def call(target: Target, model: str, payload: dict[str, Any]) -> ProviderCall:
    """``InvokeModel`` of ``model`` with ``payload``: SigV4-signed, or a Bedrock API key."""
    signing = api.signing(target)
    headers = api.headers(target, signed=signing is not None)
    return calls.post(
        target,
        api.url(target, model),
        headers,
        calls.json_body(payload),
        signing,
        reserved=api.SIGNER_OWNED,
        reserved_prefixes=api.SIGNER_PREFIXES,
    )


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    data = answers.json_object(NAME, reply)
    kind = family(request.model)
    if kind == SDXL:
        images = stability.sdxl_images(reply, data)
    elif kind == STABILITY:
        images = stability.v2_images(reply, data, request)
    else:
        images = amazon.images(reply, data)
    return answers.result(NAME, reply, images)


def parse_error(reply: ProviderReply) -> GatewayError:
    """``{"message"}`` (or ``Message``) as our error, status kept, AWS error type as code."""
    data = decoded(reply)
    message = None
    if isinstance(data, dict):
        message = data.get("message", data.get("Message"))
    if not (400 <= reply.status <= 599 and isinstance(message, str)):
        return openai_style_error(NAME, reply)  # not JSON, odd status, another shape
    # "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    kind = reply.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    refusal = filtered.refused(reply, kind, message)
    if refusal is not None:  # the content filters refused the prompt
        return refusal
    return provider_error(NAME, reply, message, error_type=kind, code=kind)
