"""marshmallow schemas for what callers send; failures become one InvalidRequest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from ..errors import InvalidRequest


def _first(messages: Any, path: str = "") -> tuple[str, str]:
    """Walk marshmallow's nested messages to the first failing field and its text."""
    if isinstance(messages, Mapping):
        key, value = next(iter(messages.items()))
        key = str(key)
        sub = key if not path else f"{path}.{key}"
        return _first(value, "" if key == "_schema" else sub)
    if isinstance(messages, list) and messages:
        return _first(messages[0], path)
    return path, str(messages)


def load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        param, text = _first(exc.messages)
        message = f"Invalid value for '{param}': {text}" if param else f"Invalid request: {text}"
        raise InvalidRequest(message, param=param or None) from None
