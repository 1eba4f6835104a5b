"""Azure AI Foundry: no per-image price confirmed, so every cost here is unknown (None).

Azure AI Foundry serves the same deployments as Azure OpenAI (see
``azure_openai.pricing``): no price could be confirmed on 2026-11-26, so none is
assumed.
A cost is never guessed; a price added to ``PRICES`` (with its page and the date it was
read) is used at once.
"""

from __future__ import annotations

from ..pricing import PriceTable, table_price

PRICES: PriceTable = {}
price = table_price(PRICES)
