"""The simple cache's index (``cache_entries``), on SQLite and PostgreSQL.

``gateway.cache.store`` decides what to store, evict and unlink; this module holds its
SQL. Cache writers go one at a time across every worker and every instance, so that an
eviction that has just seen no row refer to an image can delete it before a writer
points a new row at it: ``BEGIN IMMEDIATE`` on SQLite (as before), a transaction-level
advisory lock on PostgreSQL. The batched hit counts take the same lock without waiting
(:meth:`CacheIndex.writing_now`): a hit never queues behind a write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .database import Database
from .engine import BUSY_TIMEOUT_MS, IMMEDIATE
from .tables import cache_entries as entries

#: What a broken or unreachable store raises through this module (``find`` wraps its
#: driver's errors; sqlite3's are listed for stores that raise them directly).
ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, sqlite3.Error)
# pg_advisory_xact_lock key of cache writers: "gw-cache" in ASCII.
_PG_LOCK = 0x67772D6361636865
_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_PG_LOCK)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(key=_PG_LOCK)

_FIND_SQL = {
    "sqlite": "SELECT created_at, expires_at, entry FROM cache_entries WHERE key = ?",
    "postgresql": "SELECT created_at, expires_at, entry FROM cache_entries WHERE key = %s",
}
_USED = bindparam("used")
_HITS = (
    update(entries)
    .where(entries.c.key == bindparam("k"))
    .values(
        last_used_at=case((entries.c.last_used_at < _USED, _USED), else_=entries.c.last_used_at),
        hits=entries.c.hits + bindparam("count"),
    )
)
_LRU = (
    select(entries.c.key, entries.c.size_bytes)
    .order_by(entries.c.last_used_at, entries.c.created_at)
    .execution_options(yield_per=256)
)
#: (key, entry) rows, as the store reads them to find an entry's images.
Rows = list[tuple[str, Any]]


class CacheIndex:
    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction, once every other cache writer is done."""
        with self.database.write() as conn:
            if not self.database.is_sqlite:
                conn.execute(_LOCK)
            yield conn

    @contextmanager
    def writing_now(self) -> Iterator[Connection | None]:
        """A write transaction if no other cache writer holds the lock, else None at once."""
        with self.database.engine().connect() as conn:
            if not self.database.is_sqlite:
                with conn.begin():
                    yield conn if conn.scalar(_TRY_LOCK) else None
                return
            # SQLite: BEGIN IMMEDIATE with no busy timeout fails at once on a held lock.
            # The pragma goes to the driver's connection: through SQLAlchemy it would
            # open (autobegin) the transaction this is about to begin.
            raw: Any = conn.connection.dbapi_connection
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                try:
                    transaction = conn.execution_options(**IMMEDIATE).begin()
                except OperationalError:
                    yield None
                    return
                with transaction:
                    yield conn
            finally:
                raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def find(self, key: str) -> tuple[float, float, Any] | None:
        """``(created_at, expires_at, entry)`` of ``key``: every lookup, hit or miss.

        One statement on the driver's cursor. Through SQLAlchemy's execution the same
        read on SQLite took 100 us instead of 25 (a ``BEGIN``, events, result set-up),
        more than the rest of a ``url`` hit; a single SELECT needs no transaction (SQLite
        runs it in autocommit, on a WAL snapshot; PostgreSQL in the driver's own, rolled
        back when the connection goes back to the pool)."""
        with self.database.engine().connect() as conn:
            driver: Any = conn.connection.driver_connection
            cursor = driver.cursor()
            statement = _FIND_SQL[conn.dialect.name]
            try:
                cursor.execute(statement, (key,))
                row = cursor.fetchone()
            except conn.dialect.loaded_dbapi.Error as exc:  # the driver's own: wrap it
                raise OperationalError(statement, (key,), exc) from exc
            finally:
                cursor.close()
        return None if row is None else (row[0], row[1], row[2])

    @staticmethod
    def apply_hits(conn: Connection, batch: list[tuple[float, int, str]]) -> None:
        """Add counted hits (``Hits.take``'s batch); an evicted key updates nothing.
        Sorted by key: concurrent batches lock the same rows in the same order."""
        if batch:
            params = [
                {"used": used, "count": n, "k": key} for used, n, key in sorted(batch, key=_key)
            ]
            conn.execute(_HITS, params)

    @staticmethod
    def rows_of(conn: Connection, key: str) -> Rows:
        found = conn.execute(select(entries.c.key, entries.c.entry).where(entries.c.key == key))
        return [(row[0], row[1]) for row in found]

    @staticmethod
    def replace(conn: Connection, values: dict[str, Any]) -> None:
        """Insert the row, or replace every column of the one ``key`` already has."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(entries).values(**values)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[entries.c.key],
                set_={name: statement.excluded[name] for name in values if name != "key"},
            )
        )

    @staticmethod
    def delete_expired(conn: Connection, now: float) -> Rows:
        gone = conn.execute(
            delete(entries)
            .where(entries.c.expires_at <= now)
            .returning(entries.c.key, entries.c.entry)
        )
        return [(row[0], row[1]) for row in gone]

    @staticmethod
    def delete_key(conn: Connection, key: str) -> Rows:
        gone = conn.execute(
            delete(entries).where(entries.c.key == key).returning(entries.c.key, entries.c.entry)
        )
        return [(row[0], row[1]) for row in gone]

    @staticmethod
    def total_bytes(conn: Connection) -> int:
        return int(conn.scalar(select(func.coalesce(func.sum(entries.c.size_bytes), 0))) or 0)

    @staticmethod
    def least_recently_used(conn: Connection, over: int, keep: str | None) -> list[str]:
        """Keys, least recently used first, whose sizes add up to ``over`` (``keep`` never)."""
        victims: list[str] = []
        result = conn.execute(_LRU)
        try:
            for key, size in result:
                if over <= 0:
                    break
                if key != keep:
                    victims.append(key)
                    over -= int(size)
        finally:
            result.close()
        return victims

    @staticmethod
    def references(conn: Connection, name: str) -> bool:
        """Whether any row's entry names the image ``name``."""
        found = conn.execute(
            select(entries.c.key).where(entries.c.entry.contains(name, autoescape=True)).limit(1)
        )
        return found.first() is not None

    @staticmethod
    def all_rows(conn: Connection) -> Rows:
        return [(row[0], row[1]) for row in conn.execute(select(entries.c.key, entries.c.entry))]

    @staticmethod
    def count(conn: Connection) -> int:
        return int(conn.scalar(select(func.count()).select_from(entries)) or 0)

    @staticmethod
    def delete_all(conn: Connection) -> int:
        return int(conn.execute(delete(entries)).rowcount)

    def stats(self, now: float) -> dict[str, Any]:
        expired = func.coalesce(func.sum(case((entries.c.expires_at <= now, 1), else_=0)), 0)
        query = select(
            func.count().label("entries"),
            func.coalesce(func.sum(entries.c.size_bytes), 0).label("bytes"),
            func.coalesce(func.sum(entries.c.hits), 0).label("hits"),
            func.min(entries.c.created_at).label("oldest"),
            func.max(entries.c.created_at).label("newest"),
            expired.label("expired"),
        )
        with self.database.read() as conn:
            row = conn.execute(query).mappings().one()
        stats = dict(row)
        for name in ("entries", "bytes", "hits", "expired"):
            stats[name] = int(stats[name])
        return stats

    def keys(self) -> list[str]:
        """Every key (tests and operators)."""
        with self.database.read() as conn:
            return [row[0] for row in conn.execute(select(entries.c.key).order_by(entries.c.key))]


def _key(hit: tuple[float, int, str]) -> str:
    return hit[2]
