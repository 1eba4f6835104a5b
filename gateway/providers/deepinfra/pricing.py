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

from ..pricing import PriceTable, flat, table_price


def _page(model: str) -> str:
    return f"https://deepinfra.com/{model}/api (read 2026-11-26)"


PRICES: PriceTable = {
    model: flat(dollars, _page(model))
    for model, dollars in (("black-forest-labs/FLUX-pro", "0.05"), ("stabilityai/sd3.5", "0.06"))
}
price = table_price(PRICES)
