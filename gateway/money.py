"""Dollar amounts as integer micro-USD (millionths of a dollar). Stdlib only, pure.

One parser for every dollar amount the gateway reads: the price tables, the
``gateway api-keys limits`` options and ``GATEWAY_UNPRICED_IMAGE_USD`` (``settings``
may import nothing else of the package). Only ASCII digits are taken (``"²"`` and
other Unicode digits are not numbers here), at most 6 decimals, and at most
``MAX_MICRO_USD``, the largest integer SQLite stores.
"""

from __future__ import annotations

import re

MAX_MICRO_USD = 2**63 - 1
_LARGEST = f"{MAX_MICRO_USD // 1_000_000}.{MAX_MICRO_USD % 1_000_000:06d}"
_DOLLARS = re.compile(r"([0-9]{1,18})(?:\.([0-9]{1,6}))?")


def usd(dollars: str) -> int:
    """``"0.04"`` -> 40000, exactly; ValueError (never naming the text) for anything else."""
    found = _DOLLARS.fullmatch(dollars)
    if found is None:
        raise ValueError("must be dollars such as 25 or 0.04, with at most 6 decimals")
    whole, frac = found.groups()
    micro_usd = int(whole) * 1_000_000 + int((frac or "").ljust(6, "0"))
    if micro_usd > MAX_MICRO_USD:
        raise ValueError(f"must be at most {_LARGEST} dollars")
    return micro_usd
