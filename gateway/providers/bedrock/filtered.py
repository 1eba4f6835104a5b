"""The answer when a Bedrock model's content filter flagged an image. Pure: no IO.

Each family flags it in a 2xx body: SDXL an artifact's ``finishReason:
CONTENT_FILTERED``, SD3/Core/Ultra a ``finish_reasons`` entry ``Filter reason: ...``
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-text-image.html),
Titan and Nova Canvas an ``error`` string such as "Some of the generated images have
been blocked by our content filters."
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html,
https://docs.aws.amazon.com/nova/latest/userguide/image-gen-errors.html).

A refused prompt is an error instead: Nova Canvas's error page documents the "RAI
input deflection" as a ``ValidationException`` (HTTP 400) whose message says "This
request has been blocked by our content filters. Please adjust your text prompt ..."
(or "... your input image ..."); Titan uses the same wording. Both become the same
400 ``content_policy_violation``.
"""

from __future__ import annotations

from typing import Any

from ...errors import ProviderError
from ...models import ProviderReply
from ..errors import flagged_output, refused_prompt
from .params import NAME

# AWS's wording for the input deflection, and the error type it comes with.
INPUT_BLOCKED = "blocked by our content filters"
VALIDATION = "ValidationException"


def blocked(reply: ProviderReply, why: str) -> ProviderError:
    """As OpenAI answers a refused prompt: a 400 ``content_policy_violation``, even when
    only some of the asked images were blocked."""
    return flagged_output(NAME, reply, why)


def refused(reply: ProviderReply, kind: str, message: Any) -> ProviderError | None:
    """The 400 ``content_policy_violation`` for a prompt (or input image) AWS's
    content filters refused, the provider's message kept; None for any other error.

    Only a 400 ``ValidationException`` (or a 400 without the type header, as a proxy
    may strip it) with that wording: a malformed body is a ``ValidationException``
    too and keeps its own code.
    """
    if reply.status != 400 or kind not in (VALIDATION, ""):
        return None
    if not (isinstance(message, str) and INPUT_BLOCKED in message.lower()):
        return None
    return refused_prompt(NAME, reply, message)
