"""The answer when a provider's safety filter removed every image. Pure: no IO."""

from __future__ import annotations

from ...errors import ProviderError
from ...models import ProviderReply
from ..errors import clip, content_filtered
from .params import NAME


def blocked(reply: ProviderReply, why: str) -> ProviderError:
    """As OpenAI answers a refused prompt: a 400 ``content_policy_violation``."""
    return content_filtered(
        NAME, reply, f"every image was blocked by the model's content filter: {clip(why)}"
    )
