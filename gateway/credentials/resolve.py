"""What the request path asks of the key store: who calls, with which secret, which config.

Nothing is cached: a revoked API key, a disabled or rotated virtual key and a new
config version take effect on the next request. Each call is one or two indexed
SQLite reads and, for a virtual key, one Fernet decrypt (tens of microseconds).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet

from ..errors import ConfigNotFound, SecretUnreadable, VirtualKeyDisabled, VirtualKeyNotFound
from ..redact import scrub
from ..settings import Settings
from . import api_keys
from .api_keys import Team
from .crypto import KeyFile, KeySource, SecretBox, StaticKeys
from .keyfile import load_or_create_keys, load_or_create_pepper
from .sqlite_store import SQLiteKeyStore
from .store import KeyStore
from .virtual_keys import NAME, VirtualKey


def _shown(name: str, what: str) -> str:
    # Echo the caller's name only when it is a plain identifier (no log or terminal tricks)
    # that does not look like a key someone pasted into the wrong header.
    plain = NAME.match(name) and scrub(name) == name
    return f"{what} {name!r}" if plain else f"The {what.lower()}"


KEYS_EXIST_TTL = 5.0


class Credentials:
    """The integrator's entry point; build it with :func:`open_credentials`."""

    def __init__(
        self, store: KeyStore, pepper: bytes, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.pepper = pepper
        self._clock = clock
        self._keys_exist = False
        self._keys_checked_until = 0.0

    def api_keys_exist(self) -> bool:
        """Whether any unrevoked gateway API key exists.

        Asked on every request while ``GATEWAY_REQUIRE_API_KEY`` is ``auto``, so the
        answer is kept for a few seconds; a key created or revoked from the CLI takes
        effect within that time in every worker.
        """
        now = self._clock()
        if now >= self._keys_checked_until:
            records = self.store.list_api_keys()
            self._keys_exist = any(r.revoked_at is None for r in records)
            self._keys_checked_until = now + KEYS_EXIST_TTL
        return self._keys_exist

    def authenticate(self, presented: str) -> Team | None:
        """The team of a valid, unrevoked gateway API key; None otherwise (answer 401)."""
        return api_keys.authenticate(self.store, self.pepper, presented, self._clock())

    def resolve_virtual_key(
        self, name: str, team: str | None, *, param: str | None = None
    ) -> VirtualKey:
        """Provider, secret, endpoint and fields of virtual key ``name`` for ``team``.

        ``team`` None (authentication turned off) may use only keys open to every team.
        Unknown and not-allowed raise the same :class:`VirtualKeyNotFound`, so a team
        cannot probe another's key names; :class:`VirtualKeyDisabled` comes only after
        the team check for the same reason.
        """
        info = self.store.virtual_key(name) if NAME.match(name) else None
        missing = VirtualKeyNotFound(f"{_shown(name, 'Virtual key')} was not found.", param=param)
        if info is None or not info.allows(team):
            raise missing
        if info.disabled_at is not None:
            raise VirtualKeyDisabled(f"Virtual key {name!r} is disabled.", param=param)
        secret = self.store.reveal_secret(info.id)
        if secret is None:  # deleted since the first read
            raise missing
        return VirtualKey(info.name, info.provider, secret, info.base_url, dict(info.fields))

    def get_config(self, name: str, *, param: str | None = None) -> tuple[int, dict[str, Any]]:
        """The latest version of saved config ``name`` and its body."""
        found = self.store.config(name) if NAME.match(name) else None
        if found is None:
            raise ConfigNotFound(f"{_shown(name, 'Config')} was not found.", param=param)
        version, body = found
        return version, json.loads(body)

    def check_secrets(self) -> int:
        """Decrypt every stored secret (start-up self-check); raise naming the first bad key."""
        keys = self.store.list_virtual_keys()
        for info in keys:
            try:
                self.store.reveal_secret(info.id)
            except SecretUnreadable:
                raise SecretUnreadable(
                    f"Virtual key {info.name!r} does not decrypt with the configured master key."
                ) from None
        return len(keys)


def master_key_source(settings: Settings) -> KeySource:
    """``GATEWAY_MASTER_KEY`` when set, else ``<data_dir>/master.key`` (created at first start)."""
    if settings.master_keys:
        return StaticKeys(settings.master_keys)
    load_or_create_keys(settings.master_key_path, Fernet.generate_key().decode("ascii"))
    return KeyFile(settings.master_key_path)


def open_credentials(settings: Settings, clock: Callable[[], float] = time.time) -> Credentials:
    """Load (or create) the master key and the pepper; raise ``MasterKeyError`` if unsafe.

    Call it at start-up, after ``db.prepare``: it opens no database connection itself.
    """
    os.makedirs(settings.data_dir, mode=0o700, exist_ok=True)
    box = SecretBox(master_key_source(settings))
    pepper = load_or_create_pepper(settings.pepper_path)
    return Credentials(SQLiteKeyStore(settings.db_path, box), pepper, clock)
