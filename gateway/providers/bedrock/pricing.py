"""Amazon Bedrock's published prices for Stability AI's models. Pure: no IO.

Bedrock bills image models per generated image, on demand, the same in every region
for these models, and a cross-region profile (``us.``, ``eu.``...) at the price of
the source region. Bedrock's price page is rendered by script; its Stability rows
were read through a public price table that cites it (a ``PRICING_OVERRIDES`` list
"from aws.amazon.com/bedrock/pricing", read 2026-11-26).

Nova Canvas is priced per image by size tier and quality: up to 1024x1024 $0.04
standard, $0.06 premium; up to 2048x2048 $0.06 standard, $0.08 premium. These were read
on 2026-11-26 from a third-party copy of AWS's machine-readable price list for
us-east-1 on demand (api-evangelist/amazon-nova on GitHub, which took them from the AWS
Price List Bulk API on 2026-09-01); other regions may differ. That copy marks Nova
Canvas as legacy, end of life 2026-09-30. OpenAI's ``hd`` is sent as ``premium``. An
image with both sides at most 1024 is in the small tier and one over 1,048,576 pixels in
the large one; any other size (a side over 1024 in a small image) has no price, since
which tier it falls in is not published. ``auto`` (the model's default size) is priced
at the large tier, the most it can cost, as every ``auto`` is (``..pricing``).

Left out, cost unknown: SD3 Large (two copies disagreed), SDXL 1.0 (priced by steps),
and Titan Image Generator v1/v2 (no copy of its size and quality tiers was found).
"""

from __future__ import annotations

from dataclasses import replace

from ...models import ImageRequest
from .. import sizes
from ..pricing import AUTO, Price, PriceTable, flat, lookup, usd
from .capabilities import base_model, is_nova
from .edits import uses_input_size

_PAGE = "https://aws.amazon.com/bedrock/pricing/ (read 2026-11-26)"
_NOVA_PAGE = (
    "https://github.com/api-evangelist/amazon-nova/blob/main/plans/amazon-nova-plans-pricing.yml"
    " (read 2026-11-26): a third-party copy of AWS's price list, us-east-1 on demand"
)
NOVA = "amazon.nova-canvas-v1:0"
SMALL_SIDE = 1024  # the small tier: "up to 1024 x 1024"
NOVA_DEFAULT_SIZE = "1024x1024"  # a variation's width and height when none is sent
# Size tier ("1024" or "2048") -> Amazon's quality -> price of one image.
NOVA_TIERS: dict[str, dict[str, Price]] = {
    "1024": {"standard": Price(usd("0.04"), _NOVA_PAGE), "premium": Price(usd("0.06"), _NOVA_PAGE)},
    "2048": {"standard": Price(usd("0.06"), _NOVA_PAGE), "premium": Price(usd("0.08"), _NOVA_PAGE)},
}


PRICES: PriceTable = {
    "stability.sd3-5-large-v1:0": flat("0.08", _PAGE),
    "stability.stable-image-core-v1:0": flat("0.04", _PAGE),
    "stability.stable-image-core-v1:1": flat("0.04", _PAGE),
    "stability.stable-image-ultra-v1:0": flat("0.14", _PAGE),
    "stability.stable-image-ultra-v1:1": flat("0.14", _PAGE),
    # Nova Canvas at its usual 1024x1024; every other size is priced by ``nova_price``.
    NOVA: {
        ("1024x1024", "standard"): NOVA_TIERS["1024"]["standard"],
        ("1024x1024", "hd"): NOVA_TIERS["1024"]["premium"],
        ("1024x1024", "premium"): NOVA_TIERS["1024"]["premium"],
    },
}


def _nova_tier(size: str) -> str | None:
    if size == AUTO:  # the model's default, whose tier is not published: the dearer one
        return "2048"
    parsed = sizes.parse(size)
    if parsed is None:
        return None
    width, height = parsed
    if width <= SMALL_SIDE and height <= SMALL_SIDE:
        return "1024"
    if width * height > SMALL_SIDE * SMALL_SIDE:
        return "2048"
    return None


def nova_price(request: ImageRequest) -> int | None:
    """The tier of the size, the quality as sent (``hd`` and ``premium`` are premium)."""
    tier = _nova_tier(request.size)
    if tier is None:
        return None
    quality = "premium" if request.quality in ("hd", "premium") else "standard"
    return NOVA_TIERS[tier][quality].micro_usd


def edit_price(request: ImageRequest) -> int | None:
    """An edit or variation, per image as a generation (no separate price for the editing
    tasks is listed). ``auto`` is priced at the size it makes: the input's for in- and
    outpainting, Nova's default 1024x1024 for a variation. Titan: unknown, as above."""
    if not is_nova(request.model):
        return None
    size = request.size
    if size == AUTO:
        first = request.images[0] if request.images else None
        painted = first is not None and uses_input_size(request)
        size = f"{first.width}x{first.height}" if painted and first else NOVA_DEFAULT_SIZE
    return nova_price(replace(request, size=size))


def price(request: ImageRequest) -> int | None:
    if is_nova(request.model):
        return nova_price(request)
    return lookup(PRICES, request, model=base_model(request.model))
