"""Vertex AI's published Imagen prices: a flat price per image. Pure: no IO.

Google's price page lists Imagen generation per output image, the same for every
aspect ratio; the same figures are quoted by many public price tables read on
2026-11-26 (e.g. "Imagen 4 Standard $0.04 / Ultra $0.06: published paid-tier image
price"). Upscaling and editing are priced apart and are not used by this gateway.
"""

from __future__ import annotations

from ..pricing import PriceTable, flat, table_price

_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/pricing#imagen-models (read 2026-11-26)"
# Dollars per image, whatever its size and quality.
_DOLLARS = {
    "imagen-4.0-generate-001": "0.04",
    "imagen-4.0-ultra-generate-001": "0.06",
    "imagen-4.0-fast-generate-001": "0.02",
    "imagen-3.0-generate-002": "0.04",
    "imagen-3.0-generate-001": "0.04",
    "imagen-3.0-fast-generate-001": "0.02",
}
PRICES: PriceTable = {model: flat(dollars, _PAGE) for model, dollars in _DOLLARS.items()}
price = table_price(PRICES)
