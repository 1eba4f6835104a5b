"""The wording and the shared rules of a 400 for a value a model does not take. Pure.

Generations (``providers.capabilities``) and uploads (``uploads.checks``) check
different tables but refuse in the same words: the field, the value as sent (cut to a
sane length), the model, and what it takes instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequest

# WIDTHxHEIGHT (each side 2 to 5 digits, no leading zero) or auto.
SIZE = re.compile(r"(auto|[1-9][0-9]{1,4}x[1-9][0-9]{1,4})\Z")


@dataclass(frozen=True)
class Needs:
    """``name`` (or only these ``values`` of it) is accepted only when ``other`` is in ``allowed``.

    Providers refuse such combinations themselves (gpt-image: ``output_compression``
    only with jpeg or webp); saying so before the call names the field and the fix.
    ``default`` is what the provider uses when ``other`` is left out, so a rule holds
    on values the caller never sent (``output_format`` defaults to png).
    """

    name: str
    other: str
    allowed: tuple[Any, ...]
    values: tuple[Any, ...] | None = None  # None: any value of ``name``
    default: Any = None
    note: str = ""  # a sentence added to the message


def short(model: str) -> str:
    return model if len(model) <= 64 else model[:61] + "..."


def show(value: Any) -> str:
    """A value as the caller sent it: strings quoted, cut to a sane length."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 66 else text[:63] + "..."


def word(value: Any) -> str:
    """A value as JSON spells it (true, not True), strings bare, cut to a sane length."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    text = str(value)
    return text if len(text) <= 66 else text[:63] + "..."


def one_of(param: str, value: Any, allowed: Sequence[Any] | None, model: str) -> None:
    """400 unless ``value`` is in ``allowed`` (None: anything goes)."""
    if allowed is not None and value not in allowed:
        choices = ", ".join(str(a) for a in allowed)
        raise InvalidRequest(
            f"'{param}' {show(value)} is not supported by model '{short(model)}'; "
            f"use one of {choices}.",
            param=param,
        )


def check_needs(rule: Needs, model: str, values: Mapping[str, Any]) -> None:
    """400 when ``values`` break ``rule``; ``values`` holds only what was sent."""
    value = values.get(rule.name)
    if value is None or (rule.values is not None and value not in rule.values):
        return
    sent = values.get(rule.other)
    other = rule.default if sent is None else sent
    if other in rule.allowed:
        return
    what = f"'{rule.name}'" if rule.values is None else f"'{rule.name}' {word(value)}"
    choices = " or ".join(word(a) for a in rule.allowed)
    got = word(other) if sent is not None else f"{word(other)} (the default)"
    note = f" {rule.note}" if rule.note else ""
    raise InvalidRequest(
        f"For model '{short(model)}', {what} needs '{rule.other}' {choices}; got {got}.{note}",
        param=rule.name,
    )
