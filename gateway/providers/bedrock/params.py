"""Reading the caller's Bedrock-specific parameters, for every model family. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest
from .. import sizes

NAME = "bedrock"


def text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidRequest(f"'{name}' must be a non-empty string for {NAME}.", param=name)
    return value


def numbers(
    params: Mapping[str, Any], ranges: Mapping[str, tuple[float, float]]
) -> dict[str, float]:
    """The numbers given, each checked against its inclusive range (seed, steps: whole)."""
    found: dict[str, float] = {}
    for name, (low, high) in ranges.items():
        value = params.get(name)
        if value is None:
            continue
        whole = name in ("seed", "steps")
        kind = int if whole else int | float
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            what = "an integer" if whole else "a number"
            raise InvalidRequest(
                f"'{name}' must be {what} from {low} to {high} for {NAME}.", param=name
            )
        found[name] = value
    return found


def one_image(request: ImageRequest) -> None:
    """Stability models on Bedrock make one image per call, known model or not."""
    if request.n != 1:
        raise InvalidRequest(
            f"'n' must be 1 for Stability models on {NAME}: each call makes one image.",
            param="n",
        )


def size(request: ImageRequest) -> tuple[int, int] | None:
    """``(width, height)``, or None for ``auto`` (the model's default)."""
    return sizes.parse(request.size)


def from_form(params: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``params`` with ``names`` read as numbers where an upload's form gave text
    (``seed=12``, ``cfg_scale=6.5``); text that is no number is kept, for ``numbers``
    to refuse naming the field."""
    typed = dict(params)
    for name in names:
        value = typed.get(name)
        if not isinstance(value, str):
            continue
        try:
            typed[name] = int(value) if name in ("seed", "steps") else float(value)
        except ValueError:
            continue
        if typed[name] != typed[name] or typed[name] in (float("inf"), float("-inf")):
            typed[name] = value  # NaN or infinity: no number for AWS either
    return typed
