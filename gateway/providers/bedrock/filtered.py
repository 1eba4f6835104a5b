"""The answer when a Bedrock model's content filter flagged an image. Pure: no IO.

Each family flags it in a 2xx body: SDXL an artifact's ``finishReason:
CONTENT_FILTERED``, SD3/Core/Ultra a ``finish_reasons`` entry ``Filter reason: ...``
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-text-image.html),
Titan and Nova Canvas an ``error`` string such as "Some of the generated images have
been blocked by our content filters."
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html,
https://docs.aws.amazon.com/nova/latest/userguide/image-gen-errors.html).
"""

from __future__ import annotations

from ...errors import ProviderError
from ...models import ProviderReply
from ..errors import flagged_output
from .params import NAME


def blocked(reply: ProviderReply, why: str) -> ProviderError:
    """As OpenAI answers a refused prompt: a 400 ``content_policy_violation``, even when
    only some of the asked images were blocked."""
    return flagged_output(NAME, reply, why)
