"""Cloudflare Workers AI's published prices: per 512x512 tile and per step. Pure: no IO.

Workers AI bills an image model per 512x512 tile of the output and per diffusion step,
in neurons ($0.011 per 1,000 neurons on Workers Paid, beyond the free 10,000 neurons a
day; the free allocation is not counted here). Read on 2026-11-26 from Cloudflare's own
docs source (github.com/cloudflare/cloudflare-docs):

- FLUX.1 [schnell]: $0.0000528 per tile and $0.0001056 per step (4.80 and 9.60
  neurons), from ``src/content/docs/workers-ai/platform/pricing.mdx``. It always draws
  1024x1024 (4 tiles) and runs 4 steps unless asked (its catalogue schema,
  ``src/content/workers-ai-models/flux-1-schnell.json``). These prices have seven
  decimals, so a schnell image is rounded up to the next whole micro-dollar.
- Leonardo Phoenix 1.0: $0.0058 per tile and $0.00011 per step; 1024x1024 and 25 steps
  by default (``src/content/workers-ai-models/phoenix-1.0.json``).
- Leonardo Lucid Origin: $0.007 per tile and $0.000132 per step
  (``src/content/workers-ai-models/lucid-origin.json``); it documents no default step
  count, so it is priced only when the caller gives the steps.

A size whose sides are not multiples of 512 has no price (how a partial tile is counted
is not published), nor has ``auto`` for Lucid Origin (1120x1120 by default). Left out,
cost unknown: SDXL, SDXL-Lightning and DreamShaper, which the price pages read do not list.
"""

from __future__ import annotations

from fractions import Fraction

from ...models import ImageRequest
from .. import sizes
from ..pricing import ANY, Price, PriceTable, lookup
from .capabilities import FLUX_SCHNELL, IMG2IMG, INPAINTING, LUCID_ORIGIN, PHOENIX

# The docs source at the commits read (published at developers.cloudflare.com/workers-ai).
_DOCS = "https://github.com/cloudflare/cloudflare-docs/blob"
_PAGE = {
    FLUX_SCHNELL: f"{_DOCS}/04d268cf19d30bf104a978c55dbd0e994b634c2a"
    "/src/content/docs/workers-ai/platform/pricing.mdx (read 2026-11-26)",
    PHOENIX: f"{_DOCS}/30171c0782273b2ed4210e0e31f37291b5e49ce7"
    "/src/content/workers-ai-models/phoenix-1.0.json (read 2026-11-26)",
    LUCID_ORIGIN: f"{_DOCS}/14f349e28b55b97ff69c930b10a38950469b7df0"
    "/src/content/workers-ai-models/lucid-origin.json (read 2026-11-26)",
}
TILE = 512
# Micro-USD per 512x512 tile and per step, exactly as published.
PER_TILE = {
    FLUX_SCHNELL: Fraction("52.8"),
    PHOENIX: Fraction(5800),
    LUCID_ORIGIN: Fraction(7000),
}
PER_STEP = {
    FLUX_SCHNELL: Fraction("105.6"),
    PHOENIX: Fraction(110),
    LUCID_ORIGIN: Fraction(132),
}
DEFAULT_STEPS = {FLUX_SCHNELL: 4, PHOENIX: 25}
# What ``auto`` (no width/height sent) draws; FLUX schnell takes no size at all.
DEFAULT_SIZE = {FLUX_SCHNELL: (1024, 1024), PHOENIX: (1024, 1024)}


def cost(model: str, width: int, height: int, steps: int) -> int | None:
    """Micro-USD for one image, rounded up; None when the tiles are not whole."""
    if width % TILE or height % TILE:
        return None
    tiles = (width // TILE) * (height // TILE)
    exact = PER_TILE[model] * tiles + PER_STEP[model] * steps
    return -(-exact.numerator // exact.denominator)


def _default(model: str) -> int:
    width, height = DEFAULT_SIZE[model]
    price = cost(model, width, height, DEFAULT_STEPS[model])
    if price is None:  # the defaults are whole tiles
        raise ValueError(f"no price for {model} at its defaults")
    return price


# The price of one image at each model's default size and steps.
PRICES: PriceTable = {
    FLUX_SCHNELL: {(ANY, ANY): Price(_default(FLUX_SCHNELL), _PAGE[FLUX_SCHNELL])},
    PHOENIX: {("1024x1024", ANY): Price(_default(PHOENIX), _PAGE[PHOENIX])},
}


def _steps(request: ImageRequest) -> object:
    """The caller's ``steps`` or ``num_steps`` (``steps`` wins, as in the request body)."""
    params = request.params
    return params.get("steps") if params.get("steps") is not None else params.get("num_steps")


def price(request: ImageRequest) -> int | None:
    model = request.model
    if model not in PER_TILE:
        return None
    steps = _steps(request)
    if steps is None:
        steps = DEFAULT_STEPS.get(model)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        return None
    if model == FLUX_SCHNELL:
        width, height = DEFAULT_SIZE[model]  # takes no size: always 1024x1024
    else:
        parsed = sizes.parse(request.size) or DEFAULT_SIZE.get(model)
        if parsed is None:
            return None
        width, height = parsed
    return cost(model, width, height, steps)


# The SD 1.5 edit models are in beta at "$0.00 per step" (their catalogue pages and
# stable-diffusion-v1-5-inpainting.json's price property, read 2026-12-06).
_EDIT_PAGE = (
    "https://developers.cloudflare.com/workers-ai/models/stable-diffusion-v1-5-inpainting "
    "and .../stable-diffusion-v1-5-img2img (read 2026-12-06)"
)
EDIT_PRICES: PriceTable = {
    INPAINTING: {(ANY, ANY): Price(0, _EDIT_PAGE)},
    IMG2IMG: {(ANY, ANY): Price(0, _EDIT_PAGE)},
}


def edit_price(request: ImageRequest) -> int | None:
    return lookup(EDIT_PRICES, request)
