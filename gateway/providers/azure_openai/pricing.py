"""Azure OpenAI: no per-image price confirmed, so every cost here is unknown (None).

Azure OpenAI prices image models per deployment type and region on
azure.microsoft.com/pricing/details/cognitive-services/openai-service; no stored copy of
that table could be read on 2026-11-26, and OpenAI's own prices are not assumed to hold
on Azure.
Image edits share the table (and are unknown too).
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ..pricing import PriceTable, table_price

PRICES: PriceTable = {}
price = table_price(PRICES)
