"""Recraft's published prices per image, raster and vector. Pure: no IO.

Recraft bills prepaid API units (1,000 units = $1) at a fixed count per generated
image, whatever its size. Read from Recraft's own price page (stored copies of
recraft.ai/docs/api-reference/pricing and its .md) on 2026-11-26; the V4 and V4 Pro
rows from the same page as quoted by api-evangelist/recraft ("reconciled from
Recraft API pricing reference, May 2026"). Left out, cost unknown: the V4.1 vector
models, whose prices were not in those copies.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import PriceTable, flat, table_price
from .capabilities import N_MAX

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

# Remix (variateImage) costs $0.04 a request, whatever n, model or size
# (https://www.recraft.ai/docs/api-reference/tools/remix, read 2026-12-06); a request
# for more than 6 images is two calls. Per image: that total spread over n, rounded up
# to the micro-dollar.
REMIX_MICRO_USD = 40_000


def variation_price(request: ImageRequest) -> int | None:
    calls = -(-request.n // N_MAX)
    return -(-REMIX_MICRO_USD * calls // request.n)
