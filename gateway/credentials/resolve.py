"""What the request path asks of the key store: who calls, with which secret, which config.

Revocation bound. Every read the request path makes (an API key by digest, with its
team and limits; a virtual key by name, with its ciphertext; a saved config by name;
whether any API key exists) is cached in this process for :data:`CACHE_TTL` (2 s),
counted from before the read was sent. So a key revoked, a key's or team's limits
changed, a virtual key disabled, rotated or deleted, a config stored or deleted, by
any worker, any instance or the CLI, takes effect on every instance within 2 s plus
the time of one store read (well inside the 5 s the deployment promises); a write
through this process's own store object (``Credentials.store``) at once.

Cost: within the TTL a request sends no query for a name it has seen; after it, one
indexed read per name (as every request did before the cache). The provider secret
stays encrypted in the cache and is decrypted per use (a Fernet decrypt, tens of
microseconds); a token cached across a master key rotation is read again once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet

from ..errors import ConfigNotFound, SecretUnreadable, VirtualKeyDisabled, VirtualKeyNotFound
from ..redact import scrub
from ..settings import Settings
from ..store import secrets as shared_secrets
from ..store.database import Database
from ..store.key_store import DatabaseKeyStore
from ..store.records import ApiKeyRecord, VirtualKeyInfo
from . import api_keys
from .api_keys import Team
from .crypto import KeyFile, KeySource, SecretBox, StaticKeys
from .keyfile import load_or_create_keys
from .store import KeyStore
from .ttl_cache import TTLCache
from .virtual_keys import NAME, VirtualKey

#: Seconds the request path may serve what it read from the store (see the module).
CACHE_TTL = 2.0


def _shown(name: str, what: str) -> str:
    # Echo the caller's name only when it is a plain identifier (no log or terminal tricks)
    # that does not look like a key someone pasted into the wrong header.
    plain = NAME.match(name) and scrub(name) == name
    return f"{what} {name!r}" if plain else f"The {what.lower()}"


class _CachedApiKeys:
    """``find_api_key`` through the TTL cache; ``touch_api_key`` through to the store.

    A cached record keeps its ``last_used_at`` for the TTL, so the time of each touch is
    remembered here (one float per key used) and laid over it: a key is still written at
    most once a minute, not once per request for a TTL after each write.
    """

    def __init__(self, store: KeyStore, cache: TTLCache[str, ApiKeyRecord | None]) -> None:
        self._store = store
        self._cache = cache
        self._touched: dict[str, float] = {}

    def find_api_key(self, digest: str) -> ApiKeyRecord | None:
        store = self._store
        record = self._cache.get(digest, store.generation, lambda: store.find_api_key(digest))
        if record is None:
            return None
        touched = self._touched.get(record.id)
        if touched is not None and (record.last_used_at or 0.0) < touched:
            record = dataclasses.replace(record, last_used_at=touched)
        return record

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None:
        self._store.touch_api_key(key_id, now, interval)
        self._touched[key_id] = now


class Credentials:
    """The integrator's entry point; build it with :func:`open_credentials`.

    ``ttl`` bounds how long a read is served from memory (:data:`CACHE_TTL`; 0 turns
    the cache off); ``monotonic`` is its clock, ``clock`` the wall clock for
    ``last_used_at``.
    """

    def __init__(
        self,
        store: KeyStore,
        pepper: bytes,
        clock: Callable[[], float] = time.time,
        *,
        ttl: float = CACHE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.pepper = pepper
        self._clock = clock
        self._api_keys = _CachedApiKeys(store, TTLCache(ttl, 4096, monotonic))
        self._virtual_keys: TTLCache[str, tuple[VirtualKeyInfo, str] | None]
        self._virtual_keys = TTLCache(ttl, 1024, monotonic)
        self._configs: TTLCache[str, tuple[int, str] | None] = TTLCache(ttl, 1024, monotonic)
        self._keys_exist: TTLCache[str, bool] = TTLCache(ttl, 1, monotonic)

    def api_keys_exist(self) -> bool:
        """Whether any unrevoked gateway API key exists.

        Asked on every request while ``GATEWAY_REQUIRE_API_KEY`` is ``auto``; cached like
        every other read, so a first key created (or the last one revoked) from the CLI
        takes effect within :data:`CACHE_TTL` in every worker.
        """
        store = self.store
        return self._keys_exist.get("any", store.generation, store.has_active_api_key)

    def authenticate(self, presented: str) -> Team | None:
        """The team of a valid, unrevoked gateway API key; None otherwise (answer 401)."""
        return api_keys.authenticate(self._api_keys, self.pepper, presented, self._clock())

    def resolve_virtual_key(
        self, name: str, team: str | None, *, param: str | None = None
    ) -> VirtualKey:
        """Provider, secret, endpoint and fields of virtual key ``name`` for ``team``.

        ``team`` None (authentication turned off) may use only keys open to every team.
        Unknown and not-allowed raise the same :class:`VirtualKeyNotFound`, so a team
        cannot probe another's key names; :class:`VirtualKeyDisabled` comes only after
        the team check for the same reason, and the secret is decrypted only after both.
        """
        info, token = self._usable_virtual_key(name, team, param)
        try:
            secret = self.store.open_secret(info, token)
        except SecretUnreadable:
            # A token cached across a master key rotation no longer decrypts: read it again.
            self._virtual_keys.discard(name)
            info, token = self._usable_virtual_key(name, team, param)
            secret = self.store.open_secret(info, token)
        return VirtualKey(info.name, info.provider, secret, info.base_url, dict(info.fields))

    def _usable_virtual_key(
        self, name: str, team: str | None, param: str | None
    ) -> tuple[VirtualKeyInfo, str]:
        store = self.store
        found = (
            self._virtual_keys.get(name, store.generation, lambda: store.sealed_virtual_key(name))
            if NAME.match(name)
            else None
        )
        if found is None or not found[0].allows(team):
            raise VirtualKeyNotFound(f"{_shown(name, 'Virtual key')} was not found.", param=param)
        if found[0].disabled_at is not None:
            raise VirtualKeyDisabled(f"Virtual key {name!r} is disabled.", param=param)
        return found

    def get_config(self, name: str, *, param: str | None = None) -> tuple[int, dict[str, Any]]:
        """The latest version of saved config ``name`` and its body (parsed per call, so
        no caller shares a dict with another)."""
        store = self.store
        found = (
            self._configs.get(name, store.generation, lambda: store.config(name))
            if NAME.match(name)
            else None
        )
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


def open_credentials(
    settings: Settings, database: Database, clock: Callable[[], float] = time.time
) -> Credentials:
    """Load (or create) the master key and the pepper; raise ``MasterKeyError`` if unsafe.

    The keys live in ``database`` (the app's, or the CLI's); call it after
    ``database.migrate()``. It reads the database only for a pepper kept there.
    """
    os.makedirs(settings.data_dir, mode=0o700, exist_ok=True)
    box = SecretBox(master_key_source(settings))
    # GATEWAY_PEPPER, the database's shared one (PostgreSQL), or <data_dir>/pepper.
    pepper = shared_secrets.load(settings, database).pepper
    return Credentials(DatabaseKeyStore(database, box), pepper, clock)
