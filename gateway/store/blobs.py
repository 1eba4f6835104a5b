"""Named bytes with an expiry, where every instance can read them: the image store's
hosted images (``gateway.outbound.image_store``) and, on PostgreSQL, the cache's image text.

Two implementations of one :class:`Blobs` protocol:

- :class:`FileBlobs`, the embedded default (SQLite): files in a directory of the data
  directory, exactly as before. A file's modification time is when it was last stored,
  and it expires ``ttl_s`` after that: the files a previous release left behave as they
  did. A directory lock (``flock``: shared to store or extend, exclusive to delete)
  keeps a sweeper from deleting a file between the moment another worker extends it and
  the moment it would have.
- :class:`DatabaseBlobs`, with PostgreSQL: rows of the ``blobs`` table (``bytea``,
  stored uncompressed, see revision 0002), one ``kind`` per user, so that a link minted
  or an entry cached by one instance is served by any other. An extension moves
  ``expires_at`` forward only; the sweeper deletes expired rows in bounded batches, each
  its own short transaction, and its ``DELETE`` checks the expiry again on the row it
  locks, so a row extended meanwhile stays (PostgreSQL re-evaluates the condition on the
  newest row version).

PostgreSQL or Redis for the shared bytes, measured on the development machine (2 CPUs
busy with other test runs, load 3.5 to 4; PostgreSQL 15 and Redis 7 on 127.0.0.1): a
put and a get of 1.5 MB of base64 text (a cached 1.1 MB image) through the gateway's
own clients (this class; redis-py ``SET EX``/``GET``), the two alternating in each of
100 rounds so that both saw the same load, in milliseconds::

                                         put median / p90     get median / p90
    PostgreSQL, this table (binary get)    19.2 / 29.2          5.2 / 8.5
    PostgreSQL, bytea as text (default)        -               19.3 / 33.3
    Redis SET EX / GET                      1.6 / 3.1           2.8 / 5.7

    CacheStore.get of that entry (the whole hit, text checked): SQLite files 1.5 ms
    (1.47 before this change), PostgreSQL 5.0 ms; a ``url`` hit 0.06 / 1.3 ms.

Redis is faster, most of all to write (a PostgreSQL write puts 1.5 MB through the WAL
and waits for its flush). The table is used all the same: Redis is optional here
(``GATEWAY_REDIS_URL``), so a PostgreSQL-only deployment needs the table anyway; a
Redis under ``maxmemory`` evicts keys, and one run without persistence loses them at a
restart, where a link is promised for its whole hour and a committed cache row must
never point at missing text (here the text commits with its row). A write is a miss,
after a provider call of 5 to 60 s; the 2 to 3 ms more that a hit pays is small next
to sending the caller 1.5 MB of JSON. Reads ask for PostgreSQL's binary result
format: as text, ``bytea`` travels hex-encoded, twice its size, and costs 3 to 4 times
as long. Another implementation of :class:`Blobs` (Redis, an object store) can replace
this one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .database import Database
from .tables import blobs

#: Rows one sweep transaction deletes at most: a short transaction, never a long lock.
SWEEP_BATCH = 500
_GET_BINARY = "SELECT name, data FROM blobs WHERE kind = %s AND name = ANY(%s)"


class Blobs(Protocol):
    """Named bytes that expire; names are checked by the caller (never a path)."""

    def put(self, name: str, data: bytes, expires_at: float) -> None:
        """Store ``data`` as ``name`` (or keep the bytes already there) until at least
        ``expires_at``."""

    def extend(self, name: str, expires_at: float) -> bool:
        """Keep ``name`` until at least ``expires_at``; False when it is not stored."""

    def get(self, name: str) -> bytes | None:
        """The bytes of ``name``; None when it is not stored."""

    def delete(self, name: str) -> bool:
        """Delete ``name``; False when it was not stored."""

    def sweep_expired(self, now: float) -> int:
        """Delete what expired before ``now``; return how many went."""

    def usage(self) -> int:
        """The bytes stored (for a budget)."""


class FileBlobs:
    """Files in ``directory``, each kept ``ttl_s`` after it was last stored or extended."""

    def __init__(self, directory: Path, ttl_s: float) -> None:
        self.directory = directory
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._usage_after_sweep: int | None = None

    def path(self, name: str) -> Path | None:
        """The file of ``name`` when it exists (served by ``send_file`` as it is)."""
        path = self.directory / name
        return path if path.is_file() else None

    def put(self, name: str, data: bytes, expires_at: float) -> None:
        """Write ``name`` atomically, or refresh the file already holding it."""
        stored_at = expires_at - self.ttl_s
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked(fcntl.LOCK_SH):
            if not self._refresh(name, stored_at):  # another worker may have written it
                self._write(name, data, stored_at)

    def extend(self, name: str, expires_at: float) -> bool:
        try:
            with self._locked(fcntl.LOCK_SH):
                return self._refresh(name, expires_at - self.ttl_s)
        except FileNotFoundError:  # no directory yet: nothing was ever stored
            return False

    def get(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> bool:
        try:
            with self._locked(fcntl.LOCK_EX):
                (self.directory / name).unlink()
        except FileNotFoundError:
            return False
        return True

    def sweep_expired(self, now: float) -> int:
        """Delete files last stored more than ``ttl_s`` before ``now``.

        Every entry is looked at (a directory listing and a stat each: cheap even for
        hundreds of thousands of files), and the bytes left are counted: the next
        :meth:`usage` answers from that count instead of listing again.
        """
        cutoff = now - self.ttl_s
        removed = kept = 0
        try:
            entries = os.scandir(self.directory)
        except OSError:  # not created yet (or not a directory: put will say so)
            entries = None
        if entries is not None:
            with entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        info = entry.stat()
                        # Left-over temp files (a crash mid-write) go once stale too.
                        if entry.is_file() and info.st_mtime < cutoff:
                            if self._delete_if_stale(entry.path, cutoff):
                                removed += 1
                                continue
                            info = os.stat(entry.path)
                        kept += info.st_size
        with self._lock:
            self._usage_after_sweep = kept
        return removed

    def usage(self) -> int:
        with self._lock:
            known, self._usage_after_sweep = self._usage_after_sweep, None
        if known is not None:
            return known
        total = 0
        with contextlib.suppress(OSError), os.scandir(self.directory) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    total += entry.stat().st_size
        return total

    def _refresh(self, name: str, stored_at: float) -> bool:
        """Reuse the file ``name`` if it is there: the sweeper now keeps it ``ttl_s`` more."""
        try:
            os.utime(self.directory / name, (stored_at, stored_at))
        except FileNotFoundError:
            return False
        return True

    def _write(self, name: str, data: bytes, stored_at: float) -> None:
        temp = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
            os.utime(temp, (stored_at, stored_at))  # the sweeper measures age on the caller's clock
            os.replace(temp, self.directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    def _delete_if_stale(self, path: str, cutoff: float) -> bool:
        """Delete a file that is still stale once no worker is extending it."""
        with self._locked(fcntl.LOCK_EX):
            if os.stat(path).st_mtime >= cutoff:  # reused since it was listed
                return False
            os.unlink(path)
            return True

    @contextlib.contextmanager
    def _locked(self, operation: int) -> Iterator[None]:
        """The directory's lock, shared by every worker (``flock`` on the directory)."""
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, operation)
            yield
        finally:
            os.close(fd)  # closing the only descriptor releases the lock


class DatabaseBlobs:
    """Rows of ``blobs`` of one ``kind``. Every method may be given the ``connection`` of
    a transaction the caller holds (the cache writes an entry's images with its row);
    without one, each runs in its own short transaction."""

    def __init__(
        self, database: Database, kind: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.database = database
        self.kind = kind
        self.clock = clock

    @contextlib.contextmanager
    def _writing(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
        else:
            with self.database.write() as conn:
                yield conn

    @contextlib.contextmanager
    def _reading(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
        else:
            with self.database.read() as conn:
                yield conn

    def _mine(self) -> ColumnElement[bool]:
        return blobs.c.kind == self.kind

    def put(
        self, name: str, data: bytes, expires_at: float, *, connection: Connection | None = None
    ) -> None:
        """Insert ``name``; if a row is there (same name, same bytes: names are content
        addresses), only move its expiry forward."""
        with self._writing(connection) as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(blobs).values(
                kind=self.kind,
                name=name,
                data=data,
                size_bytes=len(data),
                created_at=self.clock(),
                expires_at=expires_at,
            )
            later = statement.excluded.expires_at
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[blobs.c.kind, blobs.c.name],
                    set_={"expires_at": _latest(later)},
                )
            )

    def extend(self, name: str, expires_at: float, *, connection: Connection | None = None) -> bool:
        return bool(self.extend_many([name], expires_at, connection=connection))

    def extend_many(
        self, names: Iterable[str], expires_at: float, *, connection: Connection | None = None
    ) -> set[str]:
        """Keep each of ``names`` until at least ``expires_at``; return those stored."""
        wanted = sorted(set(names))  # one lock order for every writer
        if not wanted:
            return set()
        with self._writing(connection) as conn:
            rows = conn.execute(
                update(blobs)
                .where(self._mine(), blobs.c.name.in_(wanted))
                .values(expires_at=_latest(expires_at))
                .returning(blobs.c.name)
            )
            return {row[0] for row in rows}

    def get(self, name: str, *, connection: Connection | None = None) -> bytes | None:
        return self.get_many([name], connection=connection).get(name)

    def get_many(
        self, names: Iterable[str], *, connection: Connection | None = None
    ) -> dict[str, bytes]:
        """The bytes of those of ``names`` that are stored, in one query."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        with self._reading(connection) as conn:
            if conn.dialect.name == "postgresql":
                return self._get_binary(conn, wanted)
            rows = conn.execute(
                select(blobs.c.name, blobs.c.data).where(self._mine(), blobs.c.name.in_(wanted))
            )
            return {name: bytes(data) for name, data in rows}

    def _get_binary(self, conn: Connection, wanted: list[str]) -> dict[str, bytes]:
        """PostgreSQL's binary result format: as text, ``bytea`` comes back hex-encoded,
        twice its size, and is decoded again here (see the figures in the module)."""
        driver: Any = conn.connection.driver_connection
        with driver.cursor(binary=True) as cursor:
            cursor.execute(_GET_BINARY, (self.kind, wanted))
            return {name: bytes(data) for name, data in cursor.fetchall()}

    def present(self, names: Iterable[str], *, connection: Connection | None = None) -> set[str]:
        """Which of ``names`` are stored (their bytes are not read)."""
        wanted = sorted(set(names))
        if not wanted:
            return set()
        with self._reading(connection) as conn:
            rows = conn.execute(select(blobs.c.name).where(self._mine(), blobs.c.name.in_(wanted)))
            return {row[0] for row in rows}

    def delete(self, name: str, *, connection: Connection | None = None) -> bool:
        return bool(self.delete_many([name], connection=connection))

    def delete_many(self, names: Iterable[str], *, connection: Connection | None = None) -> int:
        wanted = sorted(set(names))
        if not wanted:
            return 0
        removed = 0
        with self._writing(connection) as conn:
            for start in range(0, len(wanted), SWEEP_BATCH):
                chunk = wanted[start : start + SWEEP_BATCH]
                result = conn.execute(delete(blobs).where(self._mine(), blobs.c.name.in_(chunk)))
                removed += int(result.rowcount)
        return removed

    def names(self, *, connection: Connection | None = None) -> set[str]:
        """Every stored name (for a purge of what no cache entry uses)."""
        with self._reading(connection) as conn:
            return {row[0] for row in conn.execute(select(blobs.c.name).where(self._mine()))}

    def sweep_expired(self, now: float, batch: int = SWEEP_BATCH) -> int:
        """Delete rows that expired before ``now``, ``batch`` per transaction."""
        removed = 0
        while True:
            expired = (
                select(blobs.c.name)
                .where(self._mine(), blobs.c.expires_at < now)
                .limit(batch)
                .scalar_subquery()
            )
            with self.database.write() as conn:
                gone = conn.execute(
                    delete(blobs).where(
                        self._mine(),
                        blobs.c.name.in_(expired),
                        blobs.c.expires_at < now,  # re-checked on a row extended meanwhile
                    )
                ).rowcount
            removed += int(gone)
            if gone < batch:
                return removed

    def usage(self, *, connection: Connection | None = None) -> int:
        return self.count_and_bytes(connection=connection)[1]

    def count_and_bytes(self, *, connection: Connection | None = None) -> tuple[int, int]:
        with self._reading(connection) as conn:
            count, size = conn.execute(
                select(func.count(), func.coalesce(func.sum(blobs.c.size_bytes), 0)).where(
                    self._mine()
                )
            ).one()
        return int(count), int(size)

    def clear(self, *, connection: Connection | None = None) -> int:
        with self._writing(connection) as conn:
            return int(conn.execute(delete(blobs).where(self._mine())).rowcount)


def _latest(expires_at: float | ColumnElement[float]) -> ColumnElement[float]:
    """``expires_at`` moved forward only (GREATEST on PostgreSQL, MAX on SQLite)."""
    return case((blobs.c.expires_at < expires_at, expires_at), else_=blobs.c.expires_at)
