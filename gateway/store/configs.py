"""Saved configs in the ``configs`` table: versioned by name and soft-deleted.

Statements only, on a connection the caller opened. Versions are never reused: a
deleted name keeps its rows (``deleted_at`` set), so a (name, version) in the request
log names one body forever, and a new body after a delete gets the next number.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select, update

from .records import ConfigInfo
from .tables import configs as cf


def latest_row(conn: Connection, name: str) -> tuple[int, str, float | None] | None:
    """(version, body, deleted_at) of the highest version, deleted or not."""
    row = conn.execute(
        select(cf.c.version, cf.c.body, cf.c.deleted_at)
        .where(cf.c.name == name)
        .order_by(cf.c.version.desc())
        .limit(1)
    ).first()
    return (row.version, row.body, row.deleted_at) if row else None


def add_version(conn: Connection, name: str, version: int, body: str, now: float) -> None:
    """Insert; a version taken meanwhile raises ``sqlalchemy.exc.IntegrityError``."""
    conn.execute(insert(cf).values(name=name, version=version, body=body, created_at=now))


def get(conn: Connection, name: str, version: int | None = None) -> tuple[int, str] | None:
    """The latest live version (or this live version) and its body."""
    query = select(cf.c.version, cf.c.body).where(cf.c.name == name, cf.c.deleted_at.is_(None))
    if version is not None:
        query = query.where(cf.c.version == version)
    row = conn.execute(query.order_by(cf.c.version.desc()).limit(1)).first()
    return (row.version, row.body) if row else None


def list_live(conn: Connection) -> list[ConfigInfo]:
    """Each name with a live version: its latest version and when that was stored."""
    rows = conn.execute(
        select(cf.c.name, func.max(cf.c.version), func.max(cf.c.created_at))
        .where(cf.c.deleted_at.is_(None))
        .group_by(cf.c.name)
    )
    # Sorted here: the same order on SQLite and PostgreSQL (see store.api_keys.list_all).
    return sorted((ConfigInfo(*row) for row in rows), key=lambda info: info.name)


def soft_delete(conn: Connection, name: str, now: float) -> bool:
    """Hide every version of ``name``; False when none was live."""
    result = conn.execute(
        update(cf).where(cf.c.name == name, cf.c.deleted_at.is_(None)).values(deleted_at=now)
    )
    return bool(result.rowcount)
