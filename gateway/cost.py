"""The cost of one request: price per image x images returned. Pure: no IO.

Money is integer micro-USD (millionths of a dollar); dollars appear only in the
``x-gateway-cost-usd`` header. A cache hit costs nothing (no provider was paid);
a price the provider's table does not list makes the cost unknown (None), never
a guess.

Images are counted from the answer, not from the request's ``n``: a parsed answer
has its images in hand; a body passed through untouched (OpenAI's shape, already
in the asked format) was outlined when it was checked (``body_images``), capped at
``n``. One that was not is not parsed again for this: its ``"url"`` / ``"b64_json"``
keys are counted instead (a key can only appear unescaped as a real JSON key;
base64 and URLs hold no quote), capped at ``n`` in case one item carries both.

The price is that of what was made: where the answer says the ``size`` and
``quality`` it made (gpt-image answers do, at top level), they replace the asked
ones, so an ``auto`` is settled at what the provider chose; otherwise the price as
asked stands (for ``auto``, the dearest choice: the estimate). A body passed
through and outlined has them read already; one that was not is searched for those
two keys from its end, not parsed. (Searching 1.5 MB of base64 for the keys took
about 2 ms of CPU per answer: ``bench/README.md``, "Lean path".)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .models import ImageRequest, ImageResult

HIT = "HIT"
MISS = "MISS"  # any status but HIT: the provider was paid
_IMAGE_KEY = re.compile(rb'"(?:url|b64_json)"\s*:\s*"')
_STATED = {
    key: re.compile(b'"' + key + rb'"\s*:\s*"([^"\\]{1,32})"') for key in (b"size", b"quality")
}


def images_in(result: ImageResult, asked: int) -> int:
    """How many images the answer holds."""
    if result.images is not None:
        return len(result.images)
    if result.body_images is not None:
        return min(result.body_images, asked)
    found = sum(1 for _ in _IMAGE_KEY.finditer(result.body))
    return min(found, asked)


def _stated(body: bytes, key: bytes) -> str | None:
    """The last ``"key": "value"`` of a JSON body, found without parsing it."""
    name = b'"' + key + b'"'
    at = body.rfind(name)
    while at >= 0:
        found = _STATED[key].match(body, at)
        if found is not None:
            return found.group(1).decode("utf-8", "replace")
        at = body.rfind(name, 0, at)
    return None


def as_made(request: ImageRequest, result: ImageResult) -> ImageRequest:
    """The request with the ``size`` and ``quality`` the answer says it made, if it says."""
    if result.images is not None or result.body_images is not None:
        size, quality = result.size, result.quality
    else:
        size, quality = _stated(result.body, b"size"), _stated(result.body, b"quality")
    if size is None and quality is None:
        return request
    return replace(request, size=size or request.size, quality=quality or request.quality)


def price_made(
    price: Callable[[ImageRequest], int | None], request: ImageRequest, result: ImageResult
) -> int | None:
    """Micro-USD per image of what the answer made, else of what was asked (the estimate)."""
    made = as_made(request, result)
    settled = price(made) if made is not request else None
    return settled if settled is not None else price(request)


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
