"""Gateway API keys: format, hashing and authentication (SEC-5).

Format ``pkgw_<token_urlsafe(32)>_<crc32 in base62, 6 chars>``, as GitHub's
tokens: the prefix lets secret scanners and :func:`looks_like_gateway_key`
recognise it, the checksum rejects typos and random strings without a database
lookup. Only ``HMAC-SHA256(pepper, key)`` is stored; with 256 random bits a
fast hash is enough, and the pepper (a file apart from the database) means a
stolen database alone cannot confirm a guessed key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import zlib
from dataclasses import dataclass
from typing import Protocol

from ..store.records import ApiKeyRecord
from .store import KeyStore

log = logging.getLogger("gateway.credentials")

PREFIX = "pkgw_"
_BODY_CHARS = 43  # len(secrets.token_urlsafe(32))
KEY_LENGTH = len(PREFIX) + _BODY_CHARS + 1 + 6
_SHAPE = re.compile(rf"^{PREFIX}[A-Za-z0-9_-]{{{_BODY_CHARS}}}_[0-9A-Za-z]{{6}}$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# last_used_at is written at most this often per key: a write per request would
# serialise every worker on SQLite's write lock (or a PostgreSQL row lock) for a display
# column.
TOUCH_INTERVAL = 60.0
# Compared against when no row matches, so unknown keys cost what known ones do.
_NO_DIGEST = "0" * 64


@dataclass(frozen=True, slots=True)
class Team:
    """Who is calling: the team a gateway API key was created for, and that key's limits
    (``gateway.limits``; None = none), read with the key so they need no second read."""

    name: str
    key_id: str
    limit_rpm: int | None = None
    limit_ipm: int | None = None
    limit_daily_micro_usd: int | None = None
    limit_monthly_micro_usd: int | None = None


def checksum(text: str) -> str:
    value = zlib.crc32(text.encode("ascii"))
    digits = []
    for _ in range(6):
        value, rest = divmod(value, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))


def generate(token: str | None = None) -> str:
    """A new key; ``token`` is for tests that need a known value."""
    body = PREFIX + (token if token is not None else secrets.token_urlsafe(32))
    return f"{body}_{checksum(body)}"


def looks_like_gateway_key(text: str) -> bool:
    """Prefix, shape and checksum: cheap, no database, never raises."""
    if not isinstance(text, str) or len(text) != KEY_LENGTH or not _SHAPE.match(text):
        return False
    return hmac.compare_digest(checksum(text[:-7]), text[-6:])


def digest(pepper: bytes, key: str) -> str:
    return hmac.new(pepper, key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def create(store: KeyStore, pepper: bytes, name: str, now: float) -> tuple[str, ApiKeyRecord]:
    """Store a new key for team ``name``; the plaintext is returned once and kept nowhere."""
    key = generate()
    record = ApiKeyRecord(
        id="ak_" + secrets.token_hex(6),
        name=name,
        digest=digest(pepper, key),
        hint=key[-4:],
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    store.add_api_key(record)
    return key, record


class KeyLookup(Protocol):
    """What :func:`authenticate` needs of a :class:`KeyStore` (or of a cache in front of it)."""

    def find_api_key(self, digest: str) -> ApiKeyRecord | None: ...

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None: ...


def authenticate(store: KeyLookup, pepper: bytes, presented: str, now: float) -> Team | None:
    """The caller's team, or None for a malformed, unknown or revoked key.

    Unknown and revoked keys take the same path (lookup + ``compare_digest``); only
    malformed ones skip the lookup, and their shape is public knowledge anyway.
    """
    computed = digest(pepper, presented[:256])
    if not looks_like_gateway_key(presented):
        return None
    record = store.find_api_key(computed)
    matched = hmac.compare_digest(record.digest if record else _NO_DIGEST, computed)
    if not matched or record is None or record.revoked_at is not None:
        return None
    if record.last_used_at is None or now - record.last_used_at >= TOUCH_INTERVAL:
        try:
            store.touch_api_key(record.id, now, TOUCH_INTERVAL)
        except Exception as exc:  # a display column must never fail a request
            # Whatever the store raised: a locked SQLite file, a server gone, a pool timeout.
            log.warning("could not record last use of gateway key %s: %s", record.id, exc)
    return Team(
        record.name,
        record.id,
        record.limit_rpm,
        record.limit_ipm,
        record.limit_daily_micro_usd,
        record.limit_monthly_micro_usd,
    )
