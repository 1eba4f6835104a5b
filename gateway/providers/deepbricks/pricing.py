"""Deepbricks: no per-image price confirmed, so every cost here is unknown (None).

Deepbricks resells OpenAI's models at its own prices; no public page listing them could
be found on 2026-11-26, and OpenAI's prices are not assumed.
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ..pricing import PriceTable, table_price

PRICES: PriceTable = {}
price = table_price(PRICES)
