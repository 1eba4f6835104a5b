"""Reading the caller's Stability-specific parameters, shared by v1 and v2beta. Pure: no IO."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequest

NAME = "stability-ai"
# The finish reason of an image the content filter blurred (v1 and v2beta, body or header).
FILTERED = "CONTENT_FILTERED"


def text_param(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"'{name}' must be a string for {NAME}.", param=name)
    return value


def check_ranges(params: Mapping[str, Any], ranges: Mapping[str, tuple[int, int]]) -> None:
    """Numbers with more allowed values than a capability tuple can hold."""
    for name, (low, high) in ranges.items():
        value = params.get(name)
        if value is None:
            continue
        kind = int if name == "seed" else int | float
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
            what = "an integer" if name == "seed" else "a number"
            raise InvalidRequest(
                f"'{name}' must be {what} from {low} to {high} for {NAME}.", param=name
            )


def style_preset(params: Mapping[str, Any]) -> str | None:
    """``style_preset``, else an OpenAI ``style`` that names a preset (Portkey maps it)."""
    preset = text_param(params, "style_preset")
    style = params.get("style")
    if preset is None and style not in (None, "vivid", "natural"):
        preset = style  # a preset: the capability table allowed nothing else
    return preset


def form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
