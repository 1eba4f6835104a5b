"""SQLiteKeyStore: the default :class:`KeyStore`, in the gateway's SQLite file.

One connection per thread, opened lazily and again after a fork (gunicorn
workers never share the master's handle). Every write is a short ``BEGIN
IMMEDIATE`` transaction; every query is parameterized and looks API keys up by
digest, never by the presented key (SEC-5). ``secure_delete`` zeroes the pages
that held a replaced or deleted ciphertext.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from ..db import ThreadConnections, immediate
from ..errors import SecretUnreadable
from .crypto import SecretBox
from .store import LIMIT_FIELDS, ApiKeyRecord, ConfigInfo, VirtualKeyInfo

_VK_COLUMNS = (
    "id, name, provider, hint, base_url, fields, teams, disabled_at, created_at, updated_at"
)


def secret_context(key_id: str, provider: str, base_url: str | None, fields: Any) -> str:
    """What a ciphertext is bound to: its row id and everything that decides where it goes."""
    if isinstance(fields, str):
        fields = json.loads(fields)
    bound = json.dumps([provider, base_url, fields], sort_keys=True, separators=(",", ":"))
    return f"vk1:{key_id}:{hashlib.sha256(bound.encode()).hexdigest()[:32]}"


def _info(row: sqlite3.Row) -> VirtualKeyInfo:
    return VirtualKeyInfo(
        id=row["id"],
        name=row["name"],
        provider=row["provider"],
        hint=row["hint"],
        base_url=row["base_url"],
        fields=json.loads(row["fields"]),
        teams=tuple(json.loads(row["teams"])),
        disabled_at=row["disabled_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SQLiteKeyStore:
    def __init__(self, path: str, box: SecretBox) -> None:
        self.path = path
        self._box = box
        self._connections = ThreadConnections(path, "PRAGMA secure_delete = ON")

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._conn())

    def close(self) -> None:
        """Close this thread's connection (CLI and tests; workers keep theirs)."""
        self._connections.close()

    # Gateway API keys

    def add_api_key(self, record: ApiKeyRecord) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, digest, hint, created_at) VALUES (?, ?, ?, ?, ?)",
                (record.id, record.name, record.digest, record.hint, record.created_at),
            )

    def find_api_key(self, digest: str) -> ApiKeyRecord | None:
        row = self._conn().execute("SELECT * FROM api_keys WHERE digest = ?", (digest,)).fetchone()
        return ApiKeyRecord(**dict(row)) if row else None

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None:
        # One statement is its own transaction; the WHERE keeps workers from racing to write.
        self._conn().execute(
            "UPDATE api_keys SET last_used_at = ? "
            "WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
            (now, key_id, now - interval),
        )

    def list_api_keys(self) -> list[ApiKeyRecord]:
        rows = self._conn().execute("SELECT * FROM api_keys ORDER BY name, created_at")
        return [ApiKeyRecord(**dict(row)) for row in rows]

    def revoke_api_keys(self, name_or_id: str, now: float) -> int:
        with self._write() as conn:
            return conn.execute(
                "UPDATE api_keys SET revoked_at = ? "
                "WHERE revoked_at IS NULL AND (id = ? OR name = ?)",
                (now, name_or_id, name_or_id),
            ).rowcount

    def set_api_key_limits(self, name_or_id: str, limits: Mapping[str, int | None]) -> int:
        changes = [(k, v) for k, v in limits.items() if k in LIMIT_FIELDS]
        if not changes:
            return 0
        assignments = ", ".join(f"{k} = ?" for k, _ in changes)  # names from LIMIT_FIELDS only
        values = [v for _, v in changes]
        with self._write() as conn:
            for column in ("id", "name"):  # the key with this id, else the team's keys
                count = conn.execute(
                    f"UPDATE api_keys SET {assignments} "  # noqa: S608 - fixed column names
                    f"WHERE revoked_at IS NULL AND {column} = ?",
                    (*values, name_or_id),
                ).rowcount
                if count:
                    return count
            return 0

    # Virtual keys

    def add_virtual_key(self, info: VirtualKeyInfo, secret: str) -> None:
        context = secret_context(info.id, info.provider, info.base_url, dict(info.fields))
        try:
            with self._write() as conn:
                conn.execute(
                    f"INSERT INTO virtual_keys ({_VK_COLUMNS}, secret) "  # noqa: S608 - constant
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        *(info.id, info.name, info.provider, info.hint, info.base_url),
                        json.dumps(dict(info.fields), sort_keys=True),
                        json.dumps(list(info.teams)),
                        *(info.disabled_at, info.created_at, info.updated_at),
                        self._box.encrypt(context, secret),
                    ),
                )
        except sqlite3.IntegrityError:
            raise KeyError(info.name) from None

    def virtual_key(self, name: str) -> VirtualKeyInfo | None:
        row = (
            self._conn()
            .execute(f"SELECT {_VK_COLUMNS} FROM virtual_keys WHERE name = ?", (name,))  # noqa: S608
            .fetchone()
        )
        return _info(row) if row else None

    def reveal_secret(self, key_id: str) -> str | None:
        row = (
            self._conn()
            .execute(
                "SELECT provider, base_url, fields, secret FROM virtual_keys WHERE id = ?",
                (key_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        context = secret_context(key_id, row["provider"], row["base_url"], row["fields"])
        return self._box.decrypt(context, row["secret"])

    def list_virtual_keys(self) -> list[VirtualKeyInfo]:
        rows = self._conn().execute(f"SELECT {_VK_COLUMNS} FROM virtual_keys ORDER BY name")  # noqa: S608
        return [_info(row) for row in rows]

    def replace_secret(self, name: str, secret: str, hint: str, now: float) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, provider, base_url, fields FROM virtual_keys WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                return False
            context = secret_context(row["id"], row["provider"], row["base_url"], row["fields"])
            conn.execute(
                "UPDATE virtual_keys SET secret = ?, hint = ?, updated_at = ? WHERE id = ?",
                (self._box.encrypt(context, secret), hint, now, row["id"]),
            )
            return True

    def set_disabled(self, name: str, disabled: bool, now: float) -> bool:
        with self._write() as conn:
            return bool(
                conn.execute(
                    "UPDATE virtual_keys SET disabled_at = ?, updated_at = ? WHERE name = ?",
                    (now if disabled else None, now, name),
                ).rowcount
            )

    def delete_virtual_key(self, name: str) -> bool:
        with self._write() as conn:
            return bool(conn.execute("DELETE FROM virtual_keys WHERE name = ?", (name,)).rowcount)

    def rewrap_secrets(self, box: SecretBox, verify: SecretBox) -> int:
        select = "SELECT id, name, provider, base_url, fields, secret FROM virtual_keys"
        with self._write() as conn:
            rows = conn.execute(select).fetchall()
            for row in rows:
                try:
                    token = box.rotate(row["secret"])
                except SecretUnreadable:
                    raise SecretUnreadable(
                        f"Virtual key {row['name']!r} does not decrypt with any configured "
                        "master key; nothing was changed."
                    ) from None
                conn.execute("UPDATE virtual_keys SET secret = ? WHERE id = ?", (token, row["id"]))
            # Check what is about to be committed, row by row, with the new key alone.
            for row in conn.execute(select):
                context = secret_context(row["id"], row["provider"], row["base_url"], row["fields"])
                verify.decrypt(context, row["secret"])
            return len(rows)

    # Saved configs

    def put_config(self, name: str, body: str, now: float) -> tuple[int, bool]:
        with self._write() as conn:
            latest = conn.execute(
                "SELECT version, body, deleted_at FROM configs WHERE name = ? "
                "ORDER BY version DESC LIMIT 1",
                (name,),
            ).fetchone()
            if latest and latest["deleted_at"] is None and latest["body"] == body:
                return latest["version"], False
            version = (latest["version"] if latest else 0) + 1
            conn.execute(
                "INSERT INTO configs (name, version, body, created_at) VALUES (?, ?, ?, ?)",
                (name, version, body, now),
            )
            return version, True

    def config(self, name: str, version: int | None = None) -> tuple[int, str] | None:
        sql = "SELECT version, body FROM configs WHERE name = ? AND deleted_at IS NULL"
        args: tuple[Any, ...] = (name,)
        if version is not None:
            sql, args = sql + " AND version = ?", (name, version)
        row = self._conn().execute(sql + " ORDER BY version DESC LIMIT 1", args).fetchone()
        return (row["version"], row["body"]) if row else None

    def list_configs(self) -> list[ConfigInfo]:
        rows = self._conn().execute(
            "SELECT name, MAX(version) AS version, MAX(created_at) AS updated_at FROM configs "
            "WHERE deleted_at IS NULL GROUP BY name ORDER BY name"
        )
        return [ConfigInfo(**dict(row)) for row in rows]

    def delete_config(self, name: str, now: float) -> bool:
        with self._write() as conn:
            return bool(
                conn.execute(
                    "UPDATE configs SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL",
                    (now, name),
                ).rowcount
            )
