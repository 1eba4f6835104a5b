"""Vertex AI's published Imagen prices: a flat price per image. Pure: no IO.

Google's price page lists Imagen generation per output image, the same for every
aspect ratio; the same figures are quoted by many public price tables read on
2026-11-26 (e.g. "Imagen 4 Standard $0.04 / Ultra $0.06: published paid-tier image
price"). Upscaling and editing are priced apart and are not used by this gateway.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, lookup, usd

_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/pricing#imagen-models (read 2026-11-26)"


def _flat(dollars: str) -> dict[tuple[str, str], Price]:
    return {(ANY, ANY): Price(usd(dollars), _PAGE)}


PRICES: PriceTable = {
    "imagen-4.0-generate-001": _flat("0.04"),
    "imagen-4.0-ultra-generate-001": _flat("0.06"),
    "imagen-4.0-fast-generate-001": _flat("0.02"),
    "imagen-3.0-generate-002": _flat("0.04"),
    "imagen-3.0-generate-001": _flat("0.04"),
    "imagen-3.0-fast-generate-001": _flat("0.02"),
}


def price(request: ImageRequest) -> int | None:
    return lookup(PRICES, request)
