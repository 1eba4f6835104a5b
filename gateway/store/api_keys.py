"""Gateway API keys in the ``api_keys`` table: the digest, the team and the key's limits.

Statements only, each on a :class:`~sqlalchemy.Connection` the caller opened
(:class:`gateway.store.key_store.DatabaseKeyStore` holds the transactions). Keys are
looked up by digest, never by the presented key (SEC-5). The same Core statements run
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, exists, insert, or_, select, update

from .records import LIMIT_FIELDS, ApiKeyRecord
from .tables import api_keys as ak


def _record(row: Mapping[str, object]) -> ApiKeyRecord:
    return ApiKeyRecord(**row)  # type: ignore[arg-type]  # the columns are the fields


def add(conn: Connection, record: ApiKeyRecord) -> None:
    conn.execute(
        insert(ak).values(
            id=record.id,
            name=record.name,
            digest=record.digest,
            hint=record.hint,
            created_at=record.created_at,
        )
    )


def find(conn: Connection, digest: str) -> ApiKeyRecord | None:
    """The key with this digest, revoked or not (the caller decides)."""
    row = conn.execute(select(ak).where(ak.c.digest == digest)).mappings().first()
    return _record(row) if row else None


def touch(conn: Connection, key_id: str, now: float, interval: float) -> None:
    """``last_used_at = now`` unless set within ``interval``: racing workers write once."""
    conn.execute(
        update(ak)
        .where(
            ak.c.id == key_id,
            or_(ak.c.last_used_at.is_(None), ak.c.last_used_at <= now - interval),
        )
        .values(last_used_at=now)
    )


def list_all(conn: Connection) -> list[ApiKeyRecord]:
    """Every key, by team then creation time.

    Sorted here rather than by ``ORDER BY name``: PostgreSQL would order the names by the
    database's collation, SQLite by code point; Python's order is SQLite's on both.
    """
    records = [_record(row) for row in conn.execute(select(ak)).mappings()]
    return sorted(records, key=lambda r: (r.name, r.created_at))


def any_active(conn: Connection) -> bool:
    """Whether an unrevoked key exists (one row read at most)."""
    return bool(conn.scalar(select(exists().where(ak.c.revoked_at.is_(None)))))


def revoke(conn: Connection, name_or_id: str, now: float) -> int:
    """Revoke the key with this id and every active key of the team with this name."""
    result = conn.execute(
        update(ak)
        .where(ak.c.revoked_at.is_(None), or_(ak.c.id == name_or_id, ak.c.name == name_or_id))
        .values(revoked_at=now)
    )
    return result.rowcount


def set_limits(conn: Connection, name_or_id: str, limits: Mapping[str, int | None]) -> int:
    """Set these ``LIMIT_FIELDS`` on the active key with this id, else on the team's active
    keys; other columns are never touched. Return the count of keys changed."""
    changes = {k: v for k, v in limits.items() if k in LIMIT_FIELDS}
    if not changes:
        return 0
    for column in (ak.c.id, ak.c.name):  # the key with this id, else the team's keys
        result = conn.execute(
            update(ak).where(ak.c.revoked_at.is_(None), column == name_or_id).values(**changes)
        )
        if result.rowcount:
            return result.rowcount
    return 0
