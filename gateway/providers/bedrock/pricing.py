"""Amazon Bedrock's published prices for Stability AI's models. Pure: no IO.

Bedrock bills image models per generated image, on demand, the same in every region
for these models, and a cross-region profile (``us.``, ``eu.``...) at the price of
the source region. Bedrock's price page is rendered by script; its Stability rows
were read through a public price table that cites it (a ``PRICING_OVERRIDES`` list
"from aws.amazon.com/bedrock/pricing", read 2026-11-26). Left out, cost unknown:
SD3 Large (two copies disagreed), SDXL 1.0 (priced by steps), and Titan Image
Generator and Nova Canvas (priced by size and quality tiers that could not be
confirmed).
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, lookup, usd
from .capabilities import base_model

_PAGE = "https://aws.amazon.com/bedrock/pricing/ (read 2026-11-26)"


def _flat(dollars: str) -> dict[tuple[str, str], Price]:
    return {(ANY, ANY): Price(usd(dollars), _PAGE)}


PRICES: PriceTable = {
    "stability.sd3-5-large-v1:0": _flat("0.08"),
    "stability.stable-image-core-v1:0": _flat("0.04"),
    "stability.stable-image-core-v1:1": _flat("0.04"),
    "stability.stable-image-ultra-v1:0": _flat("0.14"),
    "stability.stable-image-ultra-v1:1": _flat("0.14"),
}


def price(request: ImageRequest) -> int | None:
    return lookup(PRICES, request, model=base_model(request.model))
