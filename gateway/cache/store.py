"""The cache on disk: an index in SQLite (``cache_entries``) and image bytes as files.

Every gunicorn worker shares both. Files are content-addressed
(``<sha256>.<ext>`` under ``<data dir>/cache``), so two entries with the same image
share one file. Writers publish files first and the row second; a file is unlinked
only inside a ``BEGIN IMMEDIATE`` transaction that has just seen no row refer to it,
and a writer checks its files again inside its own transaction (rewriting any that a
concurrent eviction removed), so a committed row never points at a missing file.
The size budget counts each entry's bytes (a file shared by two entries counts twice)
and evicts the least recently used entries; expired entries go on every write.

A row is checked before any of its files is read or unlinked: a name that is not
``<64 hex>.<ext>`` (a tampered ``../gateway.db``) or an entry that does not parse
makes the row a logged miss, and such a row goes like any other when it expires or
is evicted, instead of failing every later write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db import BUSY_TIMEOUT_MS, ThreadConnections, immediate
from ..image_store import CONTENT_TYPES, sniff
from . import hits

log = logging.getLogger("gateway.cache")
# The only file names a row may hold (``file_name``'s): never a path, never a dot file.
FILE = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,5}\Z")


@dataclass(frozen=True)
class CachedImage:
    data: bytes
    content_type: str
    revised_prompt: str | None = None


@dataclass(frozen=True)
class Entry:
    """What a hit serves: the original ``created``, the images' bytes, and the other
    top-level fields of a passed-through body (rendered after ``created`` and ``data``)."""

    created: int
    images: tuple[CachedImage, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Meta:
    """The index columns of a new entry (for ``gateway cache stats`` and operators)."""

    team: str | None
    provider: str
    model: str | None


def file_name(data: bytes) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{sniff(data)}"


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

    def get(self, key: str, max_age: int) -> Entry | None:
        """The fresh entry for ``key`` (younger than ``max_age`` seconds and not expired);
        a hit moves it to the back of the eviction queue."""
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
            try:
                data = (self.directory / item["file"]).read_bytes()
            except OSError:  # cleared behind the index's back: a miss, stored again
                return None
            images.append(CachedImage(data, item["content_type"], item.get("revised_prompt")))
        if self._hits.add(key, now, self._flush_quietly):
            self._try_flush()
        return Entry(entry["created"], tuple(images), entry.get("extra", {}))

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
        size = sum(len(image.data) for image in entry.images)
        if size > self.max_bytes:
            return False
        files = {file_name(image.data): image.data for image in entry.images}
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            self._publish(name, data)
        now = self.clock()
        body: dict[str, Any] = {
            "created": entry.created,
            "images": [
                {
                    "file": file_name(image.data),
                    "content_type": image.content_type,
                    "revised_prompt": image.revised_prompt,
                }
                for image in entry.images
            ],
        }
        if entry.extra:
            body["extra"] = dict(entry.extra)
        with self._write() as conn:
            hits.apply(conn, self._hits.take())  # so that eviction sees this worker's hits
            for name, data in files.items():  # an eviction may have run since
                self._publish(name, data)
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
                    json.dumps(body, separators=(",", ":")),
                ),
            )
            dropped |= self._evict(conn, now, keep=key)
            self._unlink_unreferenced(conn, dropped)
        return True

    def _publish(self, name: str, data: bytes) -> None:
        path = self.directory / name
        if path.exists():
            return
        temp = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            temp.write_bytes(data)
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

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


def parse(key: str, text: Any) -> dict[str, Any] | None:
    """A row's entry, checked; None (logged) for one that is corrupt or was tampered with."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        body = None
    if not _well_formed(body):
        log.warning("cache entry %s... is corrupt: skipped", str(key)[:12])
        return None
    result: dict[str, Any] = body
    return result


def _well_formed(body: Any) -> bool:
    if not isinstance(body, dict) or type(body.get("created")) is not int:
        return False
    images, extra = body.get("images"), body.get("extra", {})
    if not isinstance(images, list) or not isinstance(extra, dict):
        return False
    return all(
        isinstance(item, dict)
        and isinstance(item.get("file"), str)
        and FILE.match(item["file"]) is not None
        and isinstance(item.get("content_type"), str)
        and isinstance(item.get("revised_prompt"), str | None)
        for item in images
    )


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
    files = size = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as found:
        for item in found:
            if item.is_file() and not item.name.startswith("."):
                files += 1
                size += item.stat().st_size
    return files, size
