"""Recraft's published prices per image, raster and vector. Pure: no IO.

Recraft bills prepaid API units (1,000 units = $1) at a fixed count per generated
image, whatever its size. Read from Recraft's own price page (stored copies of
recraft.ai/docs/api-reference/pricing and its .md) on 2026-11-26; the V4 and V4 Pro
rows from the same page as quoted by api-evangelist/recraft ("reconciled from
Recraft API pricing reference, May 2026"). Left out, cost unknown: the V4.1 vector
models, whose prices were not in those copies.
"""

from __future__ import annotations

from ..pricing import PriceTable, flat, table_price

_PAGE = "https://www.recraft.ai/docs/api-reference/pricing (read 2026-11-26)"
# Dollars per image, whatever its size and quality.
_DOLLARS = {
    "recraftv2": "0.022",
    "recraftv2_vector": "0.044",
    "recraftv3": "0.04",
    "recraftv3_vector": "0.08",
    "recraftv4": "0.04",
    "recraftv4_vector": "0.08",
    "recraftv4_pro": "0.25",
    "recraftv4_pro_vector": "0.30",
    "recraftv4_1": "0.035",
    "recraftv4_1_utility": "0.035",
    "recraftv4_1_pro": "0.21",
    "recraftv4_1_utility_pro": "0.21",
}
PRICES: PriceTable = {model: flat(dollars, _PAGE) for model, dollars in _DOLLARS.items()}
price = table_price(PRICES)
