"""The cache on disk: an index in SQLite (``cache_entries``) and images as files.

Every gunicorn worker shares both. Files are content-addressed base64 text
(``<sha256>.b64`` under ``<data dir>/cache``, see ``files``), so two entries with the
same image share one file. Writers publish files first and the row second; a file is
unlinked only inside a ``BEGIN IMMEDIATE`` transaction that has just seen no row refer
to it, and a writer checks its files again inside its own transaction (rewriting any
that a concurrent eviction removed), so a committed row never points at a missing file.
The size budget counts each entry's stored bytes, its base64 text (a file shared by
two entries counts twice), and evicts the least recently used entries; expired entries
go on every write.

A row is checked before any of its files is read or unlinked: a name that is not
``<64 hex>.<ext>`` (a tampered ``../gateway.db``), a hosted name the image store would
not make, or an entry that does not parse makes the row a logged miss; a file is
checked against its name before it is served (``files.read_text``). Such a row goes
like any other when it expires or is evicted, instead of failing every later write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..db import BUSY_TIMEOUT_MS, ThreadConnections, immediate
from ..image_store import CONTENT_TYPES, sniff
from . import files, hits
from .rows import FILE, CachedImage, Entry, dump, parse

__all__ = ["CacheStore", "CachedImage", "Entry", "Meta", "content_type"]
log = logging.getLogger("gateway.cache")


@dataclass(frozen=True)
class Meta:
    """The index columns of a new entry (for ``gateway cache stats`` and operators)."""

    team: str | None
    provider: str
    model: str | None


def content_type(data: bytes, declared: str) -> str:
    kind = sniff(data)
    return CONTENT_TYPES[kind] if kind != "bin" else declared


class CacheStore:
    """Thread-safe: one SQLite connection per thread, opened again after a fork."""

    def __init__(
        self,
        db_path: str,
        directory: Path,
        max_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db_path = db_path
        self.directory = directory
        self.max_bytes = max_bytes
        self.clock = clock
        self._connections = ThreadConnections(db_path)
        self._hits = hits.Hits(clock)
        self._write_lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # Threads of one worker queue on a Python lock, woken at once when it is free;
        # on SQLite's lock they would sleep in its busy handler's steps of 1 to 100 ms.
        with self._write_lock, immediate(self._conn()) as conn:
            yield conn

    def get(self, key: str, max_age: int, read: bool = True) -> Entry | None:
        """The fresh entry for ``key`` (younger than ``max_age`` seconds and not expired),
        its images' text read and checked (``read``) or only found present (a ``url`` hit
        reads one later, with ``text``, if its hosted file has gone); a hit moves the entry
        to the back of the eviction queue."""
        now = self.clock()
        row = (
            self._conn()
            .execute(
                "SELECT created_at, expires_at, entry FROM cache_entries WHERE key = ?", (key,)
            )
            .fetchone()
        )
        if row is None or row["expires_at"] <= now or now - row["created_at"] >= max_age:
            return None
        entry = parse(key, row["entry"])
        if entry is None:  # a miss; the answer stored next replaces the row
            return None
        images = []
        for item in entry["images"]:
            name = item["file"]
            try:
                text = self.text(name) if read else None
            except OSError:  # cleared behind the index's back: a miss, stored again
                return None
            except files.CorruptFile:
                log.warning("cache file %s... is corrupt: deleted, a miss", name[:12])
                return None
            if not read and not files.present(self.directory, name):
                return None
            info = (item["content_type"], item.get("revised_prompt"), item.get("hosted"))
            images.append(CachedImage(text, *info, file=name))
        if self._hits.add(key, now, self._flush_quietly):
            self._try_flush()
        return Entry(entry["created"], tuple(images), entry.get("extra", {}))

    def text(self, name: str) -> bytes:
        """The checked base64 text of the cached file ``name`` (``files.read_text``)."""
        return files.read_text(self.directory, name)

    def _try_flush(self) -> None:
        """Write the counted hits unless someone is writing: a hit never waits for a lock.

        Another thread of this worker holding the lock is storing an entry, and its put
        writes the batch too. Another worker holding SQLite's lock makes ``BEGIN
        IMMEDIATE`` fail at once (no busy timeout here), and the batch waits for the
        next hit a second later, or the next put.
        """
        if not self._write_lock.acquire(blocking=False):
            return
        try:
            batch = self._hits.take()
            if batch:
                self._write_now(batch)
        except (sqlite3.Error, OSError) as exc:  # counts for eviction and stats: not worth a miss
            log.warning("cache hit counts not written: %s", type(exc).__name__)
        finally:
            self._write_lock.release()

    def _write_now(self, batch: list[tuple[float, int, str]]) -> None:
        conn = self._conn()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # another worker is writing
                self._hits.restore(batch)
                return
            try:
                hits.apply(conn, batch)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def _flush_quietly(self) -> None:
        try:
            self.flush_hits()
        except (sqlite3.Error, OSError) as exc:  # counts for eviction and stats: not worth a miss
            log.warning("cache hit counts not written: %s", type(exc).__name__)

    def flush_hits(self) -> None:
        """Write the hits this process counted since the last batch."""
        batch = self._hits.take()
        if batch:
            with self._write() as conn:
                hits.apply(conn, batch)

    def put(self, key: str, meta: Meta, entry: Entry, max_age: int) -> bool:
        """Store (or replace) ``key``; False when the entry alone is over the budget."""
        texts = [image.text or b"" for image in entry.images]
        size = sum(len(text) for text in texts)
        if size > self.max_bytes:
            return False
        named = {files.text_name(text): text for text in texts}
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in named.items():
            files.publish(self.directory, name, text)
        now = self.clock()
        body = dump(entry, [files.text_name(text) for text in texts])
        with self._write() as conn:
            hits.apply(conn, self._hits.take())  # so that eviction sees this worker's hits
            for name, text in named.items():  # an eviction may have run since
                files.publish(self.directory, name, text)
            dropped = _entry_files(
                conn, "SELECT key, entry FROM cache_entries WHERE key = ?", (key,)
            )
            conn.execute(
                "INSERT OR REPLACE INTO cache_entries (key, team, provider, model, created_at, "
                "expires_at, last_used_at, hits, size_bytes, entry) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    key,
                    meta.team,
                    meta.provider,
                    meta.model,
                    now,
                    now + max_age,
                    now,
                    size,
                    body,
                ),
            )
            dropped |= self._evict(conn, now, keep=key)
            self._unlink_unreferenced(conn, dropped)
        return True

    def _evict(self, conn: sqlite3.Connection, now: float, keep: str | None = None) -> set[str]:
        """Drop expired entries, then the least recently used until within budget."""
        dropped = _entry_files(
            conn, "DELETE FROM cache_entries WHERE expires_at <= ? RETURNING key, entry", (now,)
        )
        total = conn.execute("SELECT COALESCE(SUM(size_bytes), 0) FROM cache_entries").fetchone()
        over = int(total[0]) - self.max_bytes
        if over <= 0:
            return dropped
        victims = []
        rows = conn.execute(
            "SELECT key, size_bytes FROM cache_entries ORDER BY last_used_at, created_at"
        )
        with contextlib.closing(rows):
            for row in rows:
                if over <= 0:
                    break
                if row["key"] != keep:
                    victims.append(row["key"])
                    over -= int(row["size_bytes"])
        for key in victims:
            dropped |= _entry_files(
                conn, "DELETE FROM cache_entries WHERE key = ? RETURNING key, entry", (key,)
            )
        return dropped

    def _unlink_unreferenced(self, conn: sqlite3.Connection, names: Iterable[str]) -> None:
        for name in names:
            if not FILE.match(name):  # never a path outside the directory
                continue
            used = conn.execute(
                "SELECT 1 FROM cache_entries WHERE instr(entry, ?) > 0 LIMIT 1", (name,)
            ).fetchone()
            if used is None:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / name).unlink()

    def purge_expired(self) -> int:
        """Remove expired entries and every file no entry refers to (left by a writer that
        died between its files and its row); return how many entries went."""
        with self._write() as conn:
            before = _count(conn)
            self._evict(conn, self.clock())
            used = _entry_files(conn, "SELECT key, entry FROM cache_entries", ())
            with contextlib.suppress(FileNotFoundError), os.scandir(self.directory) as found:
                for item in found:
                    if item.is_file() and item.name not in used:
                        os.unlink(item.path)
            return before - _count(conn)

    def clear(self) -> int:
        """Remove every entry and every file (stray temporary files too)."""
        with self._write() as conn:
            removed = _count(conn)
            conn.execute("DELETE FROM cache_entries")
            with contextlib.suppress(FileNotFoundError), os.scandir(self.directory) as found:
                for item in found:
                    if item.is_file():
                        os.unlink(item.path)
        return removed

    def stats(self) -> dict[str, Any]:
        self.flush_hits()
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*) AS entries, COALESCE(SUM(size_bytes), 0) AS bytes, "
                "COALESCE(SUM(hits), 0) AS hits, MIN(created_at) AS oldest, "
                "MAX(created_at) AS newest, COALESCE(SUM(expires_at <= ?), 0) AS expired "
                "FROM cache_entries",
                (self.clock(),),
            )
            .fetchone()
        )
        stats = dict(row)
        stats["files"], stats["file_bytes"] = _disk_usage(self.directory)
        stats["budget_bytes"] = self.max_bytes
        return stats

    def close(self) -> None:
        """Write pending hits and close this thread's connection (CLI and tests)."""
        if self._connections.current() is not None:
            self.flush_hits()
            self._connections.close()


def _entry_files(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> set[str]:
    """The files of the rows ``sql`` returns as ``(key, entry)``; a corrupt row has none
    (a ``DELETE ... RETURNING`` still drops it)."""
    names: set[str] = set()
    for key, text in conn.execute(sql, args).fetchall():
        entry = parse(key, text)
        if entry is not None:
            names.update(image["file"] for image in entry["images"])
    return names


def _count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM cache_entries").fetchone()[0])


def _disk_usage(directory: Path) -> tuple[int, int]:
    count = size = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as found:
        for item in found:
            if item.is_file() and not item.name.startswith("."):
                count += 1
                size += item.stat().st_size
    return count, size
