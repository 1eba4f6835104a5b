"""Cloudflare Workers AI: no per-image price confirmed, so every cost here is unknown (None).

Workers AI bills in neurons that depend on the model, the image's tiles and its steps
(developers.cloudflare.com/workers-ai/platform/pricing); no per-image price could be
confirmed on 2026-11-26.
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import PriceTable, lookup

PRICES: PriceTable = {}


def price(request: ImageRequest) -> int | None:
    return lookup(PRICES, request)
