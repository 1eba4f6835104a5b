"""Virtual keys in the ``virtual_keys`` table: provider, endpoint, fields, teams, ciphertext.

Statements only, on a connection the caller opened; encryption is the caller's
(:class:`gateway.store.key_store.DatabaseKeyStore`, with its ``SecretBox``). The secret
column holds a Fernet token bound to its row (``gateway.credentials.crypto``), and only
:func:`sealed`, :func:`secret_row` and :func:`all_secrets` read it.

The reads that precede a rewrite of a ciphertext lock their rows (``FOR UPDATE``):
on PostgreSQL two writers would otherwise interleave a read and a write, and a master
key rotation could put back a secret replaced meanwhile. SQLAlchemy leaves the clause
out on SQLite, where ``BEGIN IMMEDIATE`` already makes writers take turns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from .records import VirtualKeyInfo
from .tables import virtual_keys as vk

_INFO = (
    vk.c.id,
    vk.c.name,
    vk.c.provider,
    vk.c.hint,
    vk.c.base_url,
    vk.c.fields,
    vk.c.teams,
    vk.c.disabled_at,
    vk.c.created_at,
    vk.c.updated_at,
)
#: What a ciphertext is bound to (``secret_context``), and the ciphertext.
_SECRET = (vk.c.id, vk.c.name, vk.c.provider, vk.c.base_url, vk.c.fields, vk.c.secret)


def _info(row: Mapping[str, Any]) -> VirtualKeyInfo:
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


def add(conn: Connection, info: VirtualKeyInfo, token: str) -> None:
    """Insert; a taken name (or id) raises ``sqlalchemy.exc.IntegrityError``."""
    conn.execute(
        insert(vk).values(
            id=info.id,
            name=info.name,
            provider=info.provider,
            hint=info.hint,
            base_url=info.base_url,
            fields=json.dumps(dict(info.fields), sort_keys=True),
            teams=json.dumps(list(info.teams)),
            disabled_at=info.disabled_at,
            created_at=info.created_at,
            updated_at=info.updated_at,
            secret=token,
        )
    )


def get(conn: Connection, name: str) -> VirtualKeyInfo | None:
    row = conn.execute(select(*_INFO).where(vk.c.name == name)).mappings().first()
    return _info(row) if row else None


def sealed(conn: Connection, name: str) -> tuple[VirtualKeyInfo, str] | None:
    """The record of ``name`` and its ciphertext, in one read (the request path's)."""
    row = conn.execute(select(*_INFO, vk.c.secret).where(vk.c.name == name)).mappings().first()
    return (_info(row), row["secret"]) if row else None


def secret_row(
    conn: Connection, *, key_id: str | None = None, name: str | None = None, lock: bool = False
) -> Row[Any] | None:
    """The binding columns and the ciphertext of one key, by id or by name; ``lock`` for a
    read that a rewrite of the ciphertext follows in the same transaction."""
    query = select(*_SECRET).where(vk.c.id == key_id if key_id is not None else vk.c.name == name)
    return conn.execute(query.with_for_update() if lock else query).first()


def all_secrets(conn: Connection, *, lock: bool = False) -> list[Row[Any]]:
    query = select(*_SECRET).order_by(vk.c.id)  # one lock order for every writer
    return list(conn.execute(query.with_for_update() if lock else query))


def list_all(conn: Connection) -> list[VirtualKeyInfo]:
    """Every key by name (sorted here: the same order on SQLite and PostgreSQL)."""
    infos = [_info(row) for row in conn.execute(select(*_INFO)).mappings()]
    return sorted(infos, key=lambda info: info.name)


def set_secret(conn: Connection, key_id: str, token: str, **values: Any) -> None:
    conn.execute(update(vk).where(vk.c.id == key_id).values(secret=token, **values))


def set_disabled(conn: Connection, name: str, disabled_at: float | None, now: float) -> bool:
    result = conn.execute(
        update(vk).where(vk.c.name == name).values(disabled_at=disabled_at, updated_at=now)
    )
    return bool(result.rowcount)


def remove(conn: Connection, name: str) -> bool:
    return bool(conn.execute(delete(vk).where(vk.c.name == name)).rowcount)
