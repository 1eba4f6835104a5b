"""The answer when a provider's safety filter removed every image. Pure: no IO."""

from __future__ import annotations

from ...errors import ProviderError
from ...models import ProviderReply
from ..errors import clip, passed_headers
from .params import NAME


def blocked(reply: ProviderReply, why: str) -> ProviderError:
    """As OpenAI answers a refused prompt: a 400 ``content_policy_violation``."""
    return ProviderError(
        f"{NAME} error: every image was blocked by the model's content filter: {clip(why)}",
        status=400,
        type="invalid_request_error",
        code="content_policy_violation",
        provider=NAME,
        headers=passed_headers(reply),
    )
