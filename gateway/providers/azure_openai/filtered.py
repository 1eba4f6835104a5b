"""Azure's content filter flags inside a 2xx image answer. Pure: no IO.

Each ``data`` item of Azure OpenAI's image answer carries ``content_filter_results``
(the output image) and ``prompt_filter_results`` (the prompt): per category (hate,
sexual, violence, self_harm, profanity, jailbreak, custom_blocklists) whether it was
``filtered`` (https://learn.microsoft.com/azure/ai-services/openai/reference, schemas
``imageResult``, ``dalleContentFilterResults`` and ``dalleFilterResults``; Foundry's
OpenAI deployments answer the same). Azure refuses a filtered prompt or image with a
400 ``contentFilter``; should a 2xx still say ``"filtered": true`` for an item, that
item is not an answer, and the whole reply is a 400 ``content_policy_violation``.
"""

from __future__ import annotations

import re
from typing import Any

from ...models import ProviderReply
from ..errors import decoded, flagged_output

_FLAG = re.compile(rb'"filtered"\s*:\s*true')
_KINDS = ("content_filter_results", "prompt_filter_results")


def check(name: str, reply: ProviderReply) -> None:
    """Raise the 400 when a 2xx item says ``"filtered": true``.

    Every Azure answer carries the flags (mostly ``false``): a byte search, which
    base64 cannot match, keeps the untouched pass-through of large answers cheap;
    only a hit is parsed.
    """
    if not 200 <= reply.status < 300 or _FLAG.search(reply.body) is None:
        return
    data = decoded(reply)
    items = data.get("data") if isinstance(data, dict) else None
    hits = sorted({hit for item in items or () for hit in _filtered(item)})
    if hits:
        raise flagged_output(name, reply, "filtered: " + ", ".join(hits))


def _filtered(item: Any) -> list[str]:
    """``kind.category`` of every result in an item that says ``filtered: true``."""
    if not isinstance(item, dict):
        return []
    found = []
    for kind in _KINDS:
        results = item.get(kind)
        if not isinstance(results, dict):
            continue
        for category, result in results.items():
            if isinstance(result, dict) and result.get("filtered") is True:
                found.append(f"{kind}.{category}")
    return found
