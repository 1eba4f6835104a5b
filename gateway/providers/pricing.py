"""Image prices: the shape of every provider's price table and the one lookup. Pure: no IO.

Each provider package keeps its own ``pricing.py`` with a ``PRICES`` table: model ->
(size, quality) -> :class:`Price`, money in integer micro-USD (millionths of a
dollar), each price with the public page it was read from and the date it was read.
A model, size or quality the table does not list has no price: the cost of such a
request is unknown (``None``), never a guess. ``ANY`` matches every size or quality
(or the lack of one) where a provider's price does not depend on it.

``auto`` (gpt-image's default quality, and a size some providers take) lets the
provider choose: it is priced at the dearest entry it could choose, the highest price
of the model's row for the other dimension as asked (or of the whole row when both are
``auto``). That bound is what a budget reserves; once the answer says what was made
(gpt-image answers carry ``size`` and ``quality``), the pipeline prices that instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..models import ImageRequest
from ..money import usd as usd

ANY = "*"
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Price:
    """What one image costs, and where that number was published."""

    micro_usd: int
    source: str  # "<URL> (read YYYY-MM-DD)"


PriceTable = Mapping[str, Mapping[tuple[str, str], Price]]


def flat(dollars: str, source: str) -> dict[tuple[str, str], Price]:
    """A model row with one price for every size and quality."""
    return {(ANY, ANY): Price(usd(dollars), source)}


def find(table: PriceTable, model: str, size: str, quality: str | None) -> Price | None:
    """The most specific entry for (size, quality): exact, then either one as ``ANY``;
    for ``auto`` the dearest entry that fits the other dimension."""
    prices = table.get(model)
    if prices is None:
        return None
    q = quality if quality is not None else ANY
    if AUTO in (size, q):
        return _dearest(prices, size, q)
    for key in ((size, q), (size, ANY), (ANY, q), (ANY, ANY)):
        price = prices.get(key)
        if price is not None:
            return price
    return None


def _dearest(prices: Mapping[tuple[str, str], Price], size: str, quality: str) -> Price | None:
    fits = [
        price
        for (s, q), price in prices.items()
        if (size == AUTO or s in (size, ANY)) and (quality == AUTO or q in (quality, ANY))
    ]
    return max(fits, key=lambda price: price.micro_usd, default=None)


def lookup(table: PriceTable, request: ImageRequest, model: str | None = None) -> int | None:
    """Micro-USD per image for this request, or None when no price is published for it.

    ``model`` overrides the request's model name (a provider strips a region or
    account prefix so one row serves every spelling of the same model).
    """
    price = find(
        table, model if model is not None else request.model, request.size, request.quality
    )
    return price.micro_usd if price is not None else None


def table_price(table: PriceTable) -> Callable[[ImageRequest], int | None]:
    """A provider's ``price``: the request's own model looked up in ``table``."""

    def price(request: ImageRequest) -> int | None:
        return lookup(table, request)

    return price


def no_price(request: ImageRequest) -> int | None:
    """The default for a provider without a price table: the cost is unknown."""
    return None
