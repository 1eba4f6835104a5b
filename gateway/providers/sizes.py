"""``size`` strings and aspect ratios, for providers that want numbers. Pure: no IO."""

from __future__ import annotations

import math

from ..errors import InvalidRequest


def parse(size: str) -> tuple[int, int] | None:
    """``"1024x768"`` -> ``(1024, 768)``; ``"auto"`` -> None. The schema checked the form."""
    if size == "auto":
        return None
    width, _, height = size.lower().partition("x")
    return int(width), int(height)


def require(size: str, provider: str) -> tuple[int, int]:
    parsed = parse(size)
    if parsed is None:
        raise InvalidRequest(
            f"'size' auto is not supported by {provider}; give WIDTHxHEIGHT.", param="size"
        )
    return parsed


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The ``"W:H"`` from ``ratios`` closest to ``width/height`` (on a log scale)."""
    wanted = math.log(width / height)

    def distance(ratio: str) -> float:
        a, _, b = ratio.partition(":")
        return abs(math.log(int(a) / int(b)) - wanted)

    return min(ratios, key=distance)


def ratio_sizes(ratios: dict[str, tuple[int, int]]) -> tuple[str, ...]:
    """The ``WxH`` sizes a ratio table offers, for a capability table."""
    return tuple(f"{w}x{h}" for w, h in ratios.values())
