"""The cost of one request: price per image x images returned. Pure: no IO.

Money is integer micro-USD (millionths of a dollar); dollars appear only in the
``x-gateway-cost-usd`` header. A cache hit costs nothing (no provider was paid);
a price the provider's table does not list makes the cost unknown (None), never
a guess.

Images are counted from the answer, not from the request's ``n``: a parsed answer
has its images in hand; a body passed through untouched (OpenAI's shape, already
in the asked format) is not parsed again for this, its ``"url"`` / ``"b64_json"``
keys are counted instead (a key can only appear unescaped as a real JSON key;
base64 and URLs hold no quote), capped at ``n`` in case one item carries both.
"""

from __future__ import annotations

import re

from .models import ImageResult

HIT = "HIT"
_IMAGE_KEY = re.compile(rb'"(?:url|b64_json)"\s*:\s*"')


def images_in(result: ImageResult, asked: int) -> int:
    """How many images the answer holds."""
    if result.images is not None:
        return len(result.images)
    found = sum(1 for _ in _IMAGE_KEY.finditer(result.body))
    return min(found, asked)


def cost(price_per_image: int | None, images: int, cache_status: str) -> int | None:
    """Micro-USD for this answer: 0 for a cache hit, None when the price is unknown."""
    if cache_status == HIT:
        return 0
    if price_per_image is None:
        return None
    return price_per_image * images


def dollars(micro_usd: int) -> str:
    """``40000`` -> ``"0.040000"``: exact, no float rounding."""
    sign = "-" if micro_usd < 0 else ""
    whole, frac = divmod(abs(micro_usd), 1_000_000)
    return f"{sign}{whole}.{frac:06d}"
