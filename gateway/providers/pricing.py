"""Image prices: the shape of every provider's price table and the one lookup. Pure: no IO.

Each provider package keeps its own ``pricing.py`` with a ``PRICES`` table: model ->
(size, quality) -> :class:`Price`, money in integer micro-USD (millionths of a
dollar), each price with the public page it was read from and the date it was read.
A model, size or quality the table does not list has no price: the cost of such a
request is unknown (``None``), never a guess. ``ANY`` matches every size or quality
(or the lack of one) where a provider's price does not depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import ImageRequest

ANY = "*"


@dataclass(frozen=True, slots=True)
class Price:
    """What one image costs, and where that number was published."""

    micro_usd: int
    source: str  # "<URL> (read YYYY-MM-DD)"


PriceTable = Mapping[str, Mapping[tuple[str, str], Price]]


def usd(dollars: str) -> int:
    """``"0.04"`` -> 40000: prices are written as the pages show them, kept as integers."""
    whole, _, frac = dollars.partition(".")
    if len(frac) > 6 or not (whole + frac).isdigit():
        raise ValueError(f"not a price in dollars with at most 6 decimals: {dollars!r}")
    return int(whole or "0") * 1_000_000 + int(frac.ljust(6, "0") or "0")


def find(table: PriceTable, model: str, size: str, quality: str | None) -> Price | None:
    """The most specific entry for (size, quality): exact, then either one as ``ANY``."""
    prices = table.get(model)
    if prices is None:
        return None
    q = quality if quality is not None else ANY
    for key in ((size, q), (size, ANY), (ANY, q), (ANY, ANY)):
        price = prices.get(key)
        if price is not None:
            return price
    return None


def lookup(table: PriceTable, request: ImageRequest, model: str | None = None) -> int | None:
    """Micro-USD per image for this request, or None when no price is published for it.

    ``model`` overrides the request's model name (a provider strips a region or
    account prefix so one row serves every spelling of the same model).
    """
    price = find(
        table, model if model is not None else request.model, request.size, request.quality
    )
    return price.micro_usd if price is not None else None


def no_price(request: ImageRequest) -> int | None:
    """The default for a provider without a price table: the cost is unknown."""
    return None
