"""Segmind: no per-image price confirmed, so every cost here is unknown (None).

Segmind bills many models per GPU-second, others per generation, each shown on the
model's own pricing tab (docs.segmind.com/readme/pricing-and-billing, read 2026-11-26);
no stored copy of the tabs for sdxl1.0-txt2img or ssd-1b could be read on 2026-11-26.
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ..pricing import PriceTable, table_price

PRICES: PriceTable = {}
price = table_price(PRICES)
