"""Together AI's published image prices, where they could be confirmed. Pure: no IO.

Together prices FLUX models by output size and steps; FLUX.1 [schnell] is listed at
$0.0027 per image at 1024x1024 and its default 4 steps (together.ai/pricing, as
quoted by workflowlab.dev/cost/flux-schnell-together, "verified May 2026"), so only
that size is priced; ``FLUX.1-schnell-Free`` is Together's free endpoint. Left out,
cost unknown: other sizes and steps of schnell, and the dev, pro, Kontext and FLUX.2
models, whose prices in the stored copies read on 2026-11-26 did not agree.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, lookup, usd

_PAGE = "https://www.together.ai/pricing (read 2026-11-26)"
FREE = "black-forest-labs/FLUX.1-schnell-Free"

PRICES: PriceTable = {
    "black-forest-labs/FLUX.1-schnell": {("1024x1024", ANY): Price(usd("0.0027"), _PAGE)},
    FREE: {(ANY, ANY): Price(0, _PAGE + ": a free endpoint")},
}


LISTED_STEPS = 4  # the listed price is for schnell's default steps


def price(request: ImageRequest) -> int | None:
    steps = request.params.get("steps", LISTED_STEPS)
    if steps != LISTED_STEPS and request.model != FREE:
        return None
    return lookup(PRICES, request)
