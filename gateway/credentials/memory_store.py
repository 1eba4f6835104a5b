"""MemoryKeyStore: the in-memory :class:`KeyStore` for tests (warehouse's dummy style).

Same behaviour as the database store, checked by one contract test run against both.
It keeps secrets in clear in memory, so it is for tests and never for a server.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..store.records import LIMIT_FIELDS, ApiKeyRecord, ConfigInfo, VirtualKeyInfo

if TYPE_CHECKING:
    from .crypto import SecretBox


class MemoryKeyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._api_keys: dict[str, ApiKeyRecord] = {}
        self._virtual: dict[str, tuple[VirtualKeyInfo, str]] = {}
        # name -> [(version, body, created_at, deleted)]
        self._configs: dict[str, list[tuple[int, str, float, bool]]] = {}
        self.generation = 0

    def _changed(self) -> None:
        """Called with the lock held, after each write (as the database store counts)."""
        self.generation += 1

    def add_api_key(self, record: ApiKeyRecord) -> None:
        with self._lock:
            self._api_keys[record.id] = record
            self._changed()

    def find_api_key(self, digest: str) -> ApiKeyRecord | None:
        return next((r for r in self._api_keys.values() if r.digest == digest), None)

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None:
        with self._lock:
            record = self._api_keys[key_id]
            if record.last_used_at is None or record.last_used_at <= now - interval:
                self._api_keys[key_id] = dataclasses.replace(record, last_used_at=now)

    def list_api_keys(self) -> list[ApiKeyRecord]:
        return sorted(self._api_keys.values(), key=lambda r: (r.name, r.created_at))

    def has_active_api_key(self) -> bool:
        return any(r.revoked_at is None for r in self._api_keys.values())

    def revoke_api_keys(self, name_or_id: str, now: float) -> int:
        with self._lock:
            hits = [
                r
                for r in self._api_keys.values()
                if r.revoked_at is None and name_or_id in (r.id, r.name)
            ]
            for record in hits:
                self._api_keys[record.id] = dataclasses.replace(record, revoked_at=now)
            self._changed()
            return len(hits)

    def set_api_key_limits(self, name_or_id: str, limits: Mapping[str, int | None]) -> int:
        changes = {k: v for k, v in limits.items() if k in LIMIT_FIELDS}
        if not changes:
            return 0
        with self._lock:
            active = [r for r in self._api_keys.values() if r.revoked_at is None]
            hits = [r for r in active if r.id == name_or_id] or [
                r for r in active if r.name == name_or_id
            ]
            for record in hits:
                self._api_keys[record.id] = dataclasses.replace(record, **changes)
            self._changed()
            return len(hits)

    def add_virtual_key(self, info: VirtualKeyInfo, secret: str) -> None:
        with self._lock:
            if info.name in self._virtual:
                raise KeyError(info.name)
            self._virtual[info.name] = (info, secret)
            self._changed()

    def virtual_key(self, name: str) -> VirtualKeyInfo | None:
        entry = self._virtual.get(name)
        return entry[0] if entry else None

    def sealed_virtual_key(self, name: str) -> tuple[VirtualKeyInfo, str] | None:
        return self._virtual.get(name)  # the "token" is the secret itself here

    def open_secret(self, info: VirtualKeyInfo, token: str) -> str:
        return token

    def reveal_secret(self, key_id: str) -> str | None:
        return next((s for info, s in self._virtual.values() if info.id == key_id), None)

    def list_virtual_keys(self) -> list[VirtualKeyInfo]:
        return [self._virtual[name][0] for name in sorted(self._virtual)]

    def replace_secret(self, name: str, secret: str, hint: str, now: float) -> bool:
        with self._lock:
            if name not in self._virtual:
                return False
            info = dataclasses.replace(self._virtual[name][0], hint=hint, updated_at=now)
            self._virtual[name] = (info, secret)
            self._changed()
            return True

    def set_disabled(self, name: str, disabled: bool, now: float) -> bool:
        with self._lock:
            if name not in self._virtual:
                return False
            info, secret = self._virtual[name]
            info = dataclasses.replace(info, disabled_at=now if disabled else None, updated_at=now)
            self._virtual[name] = (info, secret)
            self._changed()
            return True

    def delete_virtual_key(self, name: str) -> bool:
        with self._lock:
            self._changed()
            return self._virtual.pop(name, None) is not None

    def rewrap_secrets(self, box: SecretBox, verify: SecretBox) -> int:
        return len(self._virtual)  # nothing is encrypted here

    def put_config(self, name: str, body: str, now: float) -> tuple[int, bool]:
        with self._lock:
            versions = self._configs.setdefault(name, [])
            if versions and not versions[-1][3] and versions[-1][1] == body:
                return versions[-1][0], False
            version = versions[-1][0] + 1 if versions else 1
            versions.append((version, body, now, False))
            self._changed()
            return version, True

    def config(self, name: str, version: int | None = None) -> tuple[int, str] | None:
        live = [v for v in self._configs.get(name, []) if not v[3]]
        if version is not None:
            live = [v for v in live if v[0] == version]
        return (live[-1][0], live[-1][1]) if live else None

    def list_configs(self) -> list[ConfigInfo]:
        out = []
        for name in sorted(self._configs):
            live = [v for v in self._configs[name] if not v[3]]
            if live:
                out.append(ConfigInfo(name, live[-1][0], max(v[2] for v in live)))
        return out

    def delete_config(self, name: str, now: float) -> bool:
        with self._lock:
            versions = self._configs.get(name, [])
            hit = any(not v[3] for v in versions)
            self._configs[name] = [(n, b, t, True) for n, b, t, _ in versions]
            self._changed()
            return hit
