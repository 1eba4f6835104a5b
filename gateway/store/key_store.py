"""DatabaseKeyStore: the :class:`gateway.credentials.store.KeyStore` on the app's Database.

Keys, virtual keys and saved configs live in the store's tables (:mod:`.api_keys`,
:mod:`.virtual_keys`, :mod:`.configs`), on SQLite or PostgreSQL with the same Core
statements. Every write is one short transaction (``Database.write``: ``BEGIN
IMMEDIATE`` on SQLite); every read takes a pooled connection for one statement.
Provider secrets are encrypted and decrypted here, with the ``SecretBox``, inside the
write transaction that stores them.

SQLite's ``secure_delete`` (the old store's, so that a replaced or deleted ciphertext
leaves no copy in free space) is set on every connection by :mod:`.engine`.

:attr:`DatabaseKeyStore.generation` counts this object's committed writes (``last
used`` updates aside): the request path's caches (``gateway.credentials.resolve``)
compare it to forget at once what this process changed; changes made elsewhere reach
them through their TTL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ..credentials.crypto import SecretBox, secret_context
from ..errors import SecretUnreadable
from . import api_keys, configs, virtual_keys
from . import secrets as shared_secrets
from .database import Database
from .records import ApiKeyRecord, ConfigInfo, VirtualKeyInfo

# put_config reads the latest version, then inserts the next: on PostgreSQL two writers
# can pick the same number, and the loser's insert fails; it reads again and retries.
# Each round has a winner, so N administrators saving one name at once need N attempts.
_PUT_ATTEMPTS = 10


class DatabaseKeyStore:
    def __init__(self, database: Database, box: SecretBox) -> None:
        self.database = database
        self._box = box
        self._lock = threading.Lock()
        self.generation = 0

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.database.write() as conn:
            yield conn
        with self._lock:  # committed: caches in front of this store drop their entries
            self.generation += 1

    # Gateway API keys

    def add_api_key(self, record: ApiKeyRecord) -> None:
        with self._write() as conn:
            api_keys.add(conn, record)

    def find_api_key(self, digest: str) -> ApiKeyRecord | None:
        with self.database.read() as conn:
            return api_keys.find(conn, digest)

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None:
        # A display column: no generation change, so no cache is dropped for it.
        with self.database.write() as conn:
            api_keys.touch(conn, key_id, now, interval)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        with self.database.read() as conn:
            return api_keys.list_all(conn)

    def has_active_api_key(self) -> bool:
        with self.database.read() as conn:
            return api_keys.any_active(conn)

    def revoke_api_keys(self, name_or_id: str, now: float) -> int:
        with self._write() as conn:
            return api_keys.revoke(conn, name_or_id, now)

    def set_api_key_limits(self, name_or_id: str, limits: Mapping[str, int | None]) -> int:
        with self._write() as conn:
            return api_keys.set_limits(conn, name_or_id, limits)

    # Virtual keys

    def add_virtual_key(self, info: VirtualKeyInfo, secret: str) -> None:
        context = secret_context(info.id, info.provider, info.base_url, dict(info.fields))
        try:
            with self._write() as conn:
                virtual_keys.add(conn, info, self._box.encrypt(context, secret))
        except IntegrityError:
            raise KeyError(info.name) from None

    def virtual_key(self, name: str) -> VirtualKeyInfo | None:
        with self.database.read() as conn:
            return virtual_keys.get(conn, name)

    def sealed_virtual_key(self, name: str) -> tuple[VirtualKeyInfo, str] | None:
        with self.database.read() as conn:
            return virtual_keys.sealed(conn, name)

    def open_secret(self, info: VirtualKeyInfo, token: str) -> str:
        context = secret_context(info.id, info.provider, info.base_url, dict(info.fields))
        return self._box.decrypt(context, token)

    def reveal_secret(self, key_id: str) -> str | None:
        with self.database.read() as conn:
            row = virtual_keys.secret_row(conn, key_id=key_id)
        if row is None:
            return None
        return self._box.decrypt(
            secret_context(key_id, row.provider, row.base_url, row.fields), row.secret
        )

    def list_virtual_keys(self) -> list[VirtualKeyInfo]:
        with self.database.read() as conn:
            return virtual_keys.list_all(conn)

    def replace_secret(self, name: str, secret: str, hint: str, now: float) -> bool:
        with self._write() as conn:
            row = virtual_keys.secret_row(conn, name=name, lock=True)
            if row is None:
                return False
            context = secret_context(row.id, row.provider, row.base_url, row.fields)
            token = self._box.encrypt(context, secret)
            virtual_keys.set_secret(conn, row.id, token, hint=hint, updated_at=now)
            return True

    def set_disabled(self, name: str, disabled: bool, now: float) -> bool:
        with self._write() as conn:
            return virtual_keys.set_disabled(conn, name, now if disabled else None, now)

    def delete_virtual_key(self, name: str) -> bool:
        with self._write() as conn:
            return virtual_keys.remove(conn, name)

    def rewrap_secrets(self, box: SecretBox, verify: SecretBox) -> int:
        with self._write() as conn:
            rows = virtual_keys.all_secrets(conn, lock=True)
            for row in rows:
                try:
                    token = box.rotate(row.secret)
                except SecretUnreadable:
                    raise SecretUnreadable(
                        f"Virtual key {row.name!r} does not decrypt with any configured "
                        "master key; nothing was changed."
                    ) from None
                virtual_keys.set_secret(conn, row.id, token)
            # The instances' shared secrets (pepper, URL-signing and cache keys), in the
            # same transaction: instances started with the new key alone must read them.
            shared_secrets.rotate_all(conn, box)
            # Check what is about to be committed, row by row, with the new key alone.
            for row in virtual_keys.all_secrets(conn):
                context = secret_context(row.id, row.provider, row.base_url, row.fields)
                verify.decrypt(context, row.secret)
            shared_secrets.check_all(conn, verify)
            return len(rows)

    # Saved configs

    def put_config(self, name: str, body: str, now: float) -> tuple[int, bool]:
        attempts = _PUT_ATTEMPTS
        while True:
            attempts -= 1
            try:
                return self._put_config(name, body, now)
            except IntegrityError:
                if not attempts:
                    raise

    def _put_config(self, name: str, body: str, now: float) -> tuple[int, bool]:
        with self._write() as conn:
            latest = configs.latest_row(conn, name)
            if latest is not None:
                version, latest_body, deleted_at = latest
                if deleted_at is None and latest_body == body:
                    return version, False
            version = (latest[0] if latest else 0) + 1
            configs.add_version(conn, name, version, body, now)
            return version, True

    def config(self, name: str, version: int | None = None) -> tuple[int, str] | None:
        with self.database.read() as conn:
            return configs.get(conn, name, version)

    def list_configs(self) -> list[ConfigInfo]:
        with self.database.read() as conn:
            return configs.list_live(conn)

    def delete_config(self, name: str, now: float) -> bool:
        with self._write() as conn:
            return configs.soft_delete(conn, name, now)
