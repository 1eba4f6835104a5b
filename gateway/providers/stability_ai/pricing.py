"""Stability AI's published prices, credits turned into dollars. Pure: no IO.

Stability bills a fixed number of credits per successful generation, whatever the
size or quality (1 credit = $0.01; 1,000 credits cost $10). Its price page was read
through a stored copy that quotes it (developer.puter.com/tutorials/
stability-ai-api-pricing, "Jun 2026"), which agrees with another
(6g-ai.com/tools/api-guides/stable-diffusion-api). Left out, cost unknown: the v1
models (SDXL 1.0, SD 1.6), billed by steps and size, and sd3.5-flash, whose price
was not in those copies.
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import InvalidRequest
from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, table_price
from .edits import SD3, route

_PAGE = "https://platform.stability.ai/pricing (read 2026-11-26)"
CREDIT_MICRO_USD = 10_000  # 1 credit = $0.01


def _credits(tenths: int) -> dict[tuple[str, str], Price]:
    """A flat price of ``tenths`` / 10 credits per image (6.5 credits -> 65)."""
    return {(ANY, ANY): Price(tenths * CREDIT_MICRO_USD // 10, _PAGE)}


PRICES: PriceTable = {
    "ultra": _credits(80),
    "core": _credits(30),
    "sd3": _credits(65),  # the sd3 service without a model field answers with sd3.5-large
    "sd3.5-large": _credits(65),
    "sd3.5-large-turbo": _credits(40),
    "sd3.5-medium": _credits(35),
}
price = table_price(PRICES)

# Edits: the Edit services' flat rates as the API reference states them for each
# (https://platform.stability.ai/docs/api-reference, tag Edit, read 2026-12-06: inpaint
# and erase "5 credits per successful generation"); the others' rates were not read,
# so unknown. sd3 image-to-image costs what the model's generation does.
EDIT_PRICES: dict[str, int] = {
    "inpaint": 5 * CREDIT_MICRO_USD,
    "erase": 5 * CREDIT_MICRO_USD,
}


def edit_price(request: ImageRequest) -> int | None:
    """The price of the service ``edits.route`` picks (without decoding the image: a
    transparent PNG with no transparent pixel is priced as inpaint, then sent to sd3)."""
    try:
        service, model = route(request)
    except InvalidRequest:  # refused before any call: no cost
        return None
    if service == SD3:
        return price(replace(request, model=model or SD3))
    return EDIT_PRICES.get(service)
