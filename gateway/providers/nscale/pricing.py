"""Nscale: no per-image price confirmed, so every cost here is unknown (None).

Nscale's serverless price list could not be read from a stored copy on 2026-11-26.
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ..pricing import PriceTable, table_price

PRICES: PriceTable = {}
price = table_price(PRICES)
