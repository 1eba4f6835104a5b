"""The parsers of ``GATEWAY_*`` values: raw text in, a typed value or ``ValueError`` out.

Stdlib only (and ``money``), like ``settings``, which declares each setting with one of
these; the message of a ``ValueError`` never quotes the value (it may be a secret), and
``Settings.from_env`` prefixes it with the variable's name.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from urllib.parse import urlsplit

from . import money


def whole(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        text = raw.strip()
        if not text.lstrip("-").isdigit():
            raise ValueError("must be a whole number")
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return parse


def number(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("must be a number") from None
        if not lo <= value <= hi:  # also rejects NaN
            raise ValueError(f"must be between {lo} and {hi}")
        return value

    return parse


def flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def auth_mode(raw: str) -> str:
    if raw.strip().lower() == "auto":
        return "auto"
    try:
        return "true" if flag(raw) else "false"
    except ValueError:
        raise ValueError("must be auto, true or false") from None


def base_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not contain credentials, a query or a fragment")
    return value


def provider(raw: str) -> str | None:
    """A provider name, or ``none`` (None): no default, a request must name one.

    Only the spelling is checked here: the provider registry is not imported in the
    gunicorn master, so ``create_app`` checks that the provider exists.
    """
    name = raw.strip().lower()
    if name == "none":
        return None
    if not name.replace("-", "").isalnum() or not name.isascii() or len(name) > 64:
        raise ValueError("must be a provider name (such as openai) or none")
    return name


def secret_text(raw: str) -> str:
    if len(raw.strip()) < 32:
        raise ValueError("must be at least 32 characters")
    return raw.strip()


def key_bytes(raw: str) -> bytes:
    """A key as its data-directory file holds it: URL-safe base64 of 32 bytes or more."""
    try:
        value = base64.urlsafe_b64decode(raw.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        value = b""
    if len(value) < 32:
        raise ValueError("must be 32 bytes or more in URL-safe base64")
    return value


def url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    """A URL with one of ``schemes`` (``postgresql`` also matches ``postgresql+psycopg``).
    The error never quotes the value: it may hold a password."""

    def parse(raw: str) -> str:
        value = raw.strip()
        scheme = value.split("://", 1)[0].split("+", 1)[0].lower() if "://" in value else ""
        if scheme not in schemes:
            raise ValueError(
                f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
            )
        return value

    return parse


def usd(raw: str) -> int:
    """Dollars such as ``0.04``, kept as integer micro-USD."""
    return money.usd(raw.strip())


def csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be one of debug, info, warning, error")
    return level


def worker_class(raw: str) -> str:
    name = raw.strip().lower()
    if name not in {"gevent", "gthread"}:
        raise ValueError("must be gevent or gthread")
    return name


def bind(raw: str) -> str:
    value = raw.strip()
    if value.startswith("unix:"):
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError("must be HOST:PORT or unix:PATH")
    return value


def absolute_bind(value: str) -> str:
    """A ``unix:`` socket path made absolute; ``HOST:PORT`` as it is."""
    return "unix:" + os.path.abspath(value[5:]) if value.startswith("unix:") else value


def fernet_keys(raw: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys, newest first (the first one encrypts, all decrypt)."""
    keys = csv(raw)
    for position, key in enumerate(keys, 1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
        except (binascii.Error, UnicodeEncodeError, ValueError):
            ok = False
        if not ok:
            # Never echo the entry: it is (part of) the key-encryption key.
            raise ValueError(f"entry {position} is not a Fernet key (44 URL-safe base64 chars)")
    if len(set(keys)) != len(keys):
        raise ValueError("a key is listed twice")
    return keys
