"""DeepInfra's published image prices, where they are flat per image. Pure: no IO.

Each model's page on deepinfra.com shows its price; read on 2026-11-26 from stored
copies of DeepInfra's own pages (undated snapshots): FLUX-pro at $0.05 per image
(deepinfra.com/black-forest-labs/FLUX-pro/api) and SD 3.5 Large at $0.06 per image
(deepinfra.com/stabilityai/sd3.5/api). Left out, cost unknown: FLUX-1-schnell
("$0.0005 x (width / 1024) x (height / 1024) x iters") and FLUX-1-dev ("$0.009 x
(width / 1024) x (height / 1024) x (iters / 25)"), priced by steps that the
OpenAI-compatible endpoint neither takes nor documents a default for; and FLUX-1.1-pro,
sd3.5-medium and sdxl-turbo, whose prices were not in the pages read.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, lookup, usd


def _flat(dollars: str, page: str) -> dict[tuple[str, str], Price]:
    return {(ANY, ANY): Price(usd(dollars), f"https://deepinfra.com/{page}/api (read 2026-11-26)")}


PRICES: PriceTable = {
    "black-forest-labs/FLUX-pro": _flat("0.05", "black-forest-labs/FLUX-pro"),
    "stabilityai/sd3.5": _flat("0.06", "stabilityai/sd3.5"),
}


def price(request: ImageRequest) -> int | None:
    return lookup(PRICES, request)
