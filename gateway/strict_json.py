"""Strict JSON for request bodies and JSON-valued headers.

Python's ``json`` accepts NaN/Infinity, keeps the last of duplicate keys (a
parser differential with the provider) and overflows the stack on deep
nesting. RFC 8259 between systems means UTF-8, so anything else is refused.
Pure: no IO.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import InvalidJSON

MAX_DEPTH = 32
# A saved config's name that is also JSON (42, true) cannot be told from a value.
_JSON_LITERALS = frozenset({"true", "false", "null"})
_JSON_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key[:64]!r}")
        obj[key] = value
    return obj


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:32]} is out of range")
    return value


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant,
    parse_float=_finite_float,
    object_pairs_hook=_no_duplicates,
)


def _depth_ok(value: Any, limit: int) -> bool:
    """Iterative walk: the recursion we avoid here is the one that would crash."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads_object(
    raw: bytes | str,
    *,
    what: str = "request body",
    param: str | None = None,
    max_depth: int = MAX_DEPTH,
) -> dict[str, Any]:
    """Parse ``raw`` as one strict JSON object or raise :class:`InvalidJSON`."""
    if isinstance(raw, bytes):
        if raw.startswith(b"\xef\xbb\xbf"):
            raise InvalidJSON(
                f"The {what} must be UTF-8 JSON without a byte-order mark.", param=param
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJSON(f"The {what} is not valid UTF-8.", param=param) from None
    else:
        text = raw
    if not text.strip():
        raise InvalidJSON(f"The {what} is empty; send a JSON object.", param=param)
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise InvalidJSON(f"The {what} is nested too deeply.", param=param) from None
    except ValueError as exc:
        # json's messages carry only positions and our own key text, never the input.
        raise InvalidJSON(f"The {what} is not valid JSON: {exc}.", param=param) from None
    if not isinstance(value, dict):
        raise InvalidJSON(f"The {what} must be a JSON object.", param=param)
    if not _depth_ok(value, max_depth):
        raise InvalidJSON(f"The {what} is nested deeper than {max_depth} levels.", param=param)
    if _has_lone_surrogate(value):
        raise InvalidJSON(f"The {what} contains an unpaired UTF-16 surrogate.", param=param)
    return value


def is_json(raw: str) -> bool:
    """Whether a header value is JSON rather than a plain token (a saved config's name)."""
    text = raw.strip()
    return text[:1] in {"{", "[", '"'} or text in _JSON_LITERALS or bool(_JSON_NUMBER.match(text))
