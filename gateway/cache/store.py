"""The cache's store: an index (``cache_entries``) and the images' base64 text.

Every gunicorn worker, and with PostgreSQL every instance, shares both. The index is a
table of the store (its SQL in ``gateway.store.cache_index``); the text is kept by
``texts``: content-addressed files (``<sha256>.b64`` under ``<data dir>/cache``, see
``files``) on the embedded SQLite default, rows of the ``blobs`` table with PostgreSQL,
so that a hit never depends on which instance stored the entry. Two entries with the same
image share one text. Writers store the text first and the row second; a text is deleted
only inside a write transaction that has just seen no row refer to it, and cache writers
take turns (``CacheIndex.writing``), a writer checking its texts again inside its own
transaction (rewriting any that a concurrent eviction removed), so a committed row never
points at missing text. The size budget counts each entry's stored bytes, its base64
text (a text shared by two entries counts twice), and evicts the least recently used
entries; expired entries go on every write.

A row is checked before any of its files is read or unlinked: a name that is not
``<64 hex>.<ext>`` (a tampered ``../gateway.db``), a hosted name the image store would
not make, or an entry that does not parse makes the row a logged miss; a text is
checked against its name before it is served (``files.read_text``). Such a row goes
like any other when it expires or is evicted, instead of failing every later write.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ..image_formats import CONTENT_TYPES, sniff
from ..store.blobs import DatabaseBlobs
from ..store.cache_index import ERRORS, CacheIndex, Rows
from ..store.database import Database
from . import files, hits
from .rows import FILE, CachedImage, Entry, dump, parse
from .texts import CorruptFile, DatabaseTexts, FileTexts, Texts

__all__ = ["CacheStore", "CachedImage", "Entry", "Meta", "content_type"]
log = logging.getLogger("gateway.cache")
#: The ``blobs`` kind of the cache's image text (PostgreSQL).
BLOB_KIND = "cache"


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
    """Thread-safe; the index goes through the app's :class:`Database`."""

    def __init__(
        self,
        database: Database,
        directory: Path,
        max_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.directory = directory
        self.max_bytes = max_bytes
        self.clock = clock
        self.index = CacheIndex(database)
        self.texts: Texts = (
            FileTexts(directory)
            if database.is_sqlite
            else DatabaseTexts(DatabaseBlobs(database, BLOB_KIND, clock))
        )
        self._hits = hits.Hits(clock)
        self._write_lock = threading.Lock()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        # Threads of one worker queue on a Python lock, woken at once when it is free;
        # on SQLite's lock they would sleep in its busy handler's steps of 1 to 100 ms.
        with self._write_lock, self.index.writing() as conn:
            yield conn

    def get(self, key: str, max_age: int, read: bool = True) -> Entry | None:
        """The fresh entry for ``key`` (younger than ``max_age`` seconds and not expired),
        its images' text read and checked (``read``) or only found present (a ``url`` hit
        reads one later, with ``text``, if its hosted file has gone); a hit moves the entry
        to the back of the eviction queue."""
        now = self.clock()
        row = self.index.find(key)
        if row is None:
            return None
        created_at, expires_at, column = row
        if expires_at <= now or now - created_at >= max_age:
            return None
        entry = parse(key, column)
        if entry is None:  # a miss; the answer stored next replaces the row
            return None
        names = [item["file"] for item in entry["images"]]
        texts: list[bytes | None]
        if read:
            try:
                texts = list(self._read_all(names))
            except CorruptFile as exc:  # a ValueError, not an OSError
                log.warning("cache file %s... is corrupt: deleted, a miss", str(exc)[:12])
                return None
            except OSError:  # cleared behind the index's back: a miss, stored again
                return None
        elif self.texts.present(names):
            texts = [None] * len(names)
        else:
            return None
        images = tuple(
            CachedImage(
                text,
                item["content_type"],
                item.get("revised_prompt"),
                item.get("hosted"),
                file=item["file"],
            )
            for item, text in zip(entry["images"], texts, strict=True)
        )
        if self._hits.add(key, now, self._flush_quietly):
            self._try_flush()
        return Entry(entry["created"], images, entry.get("extra", {}))

    def text(self, name: str) -> bytes:
        """The checked base64 text of the cached image ``name`` (``files.read_text``)."""
        return self.texts.read(name)

    def _read_all(self, names: list[str]) -> list[bytes]:
        if isinstance(self.texts, FileTexts):
            return [self.text(name) for name in names]  # a file each, as before
        return self.texts.read_all(names)  # one query for every image of the entry

    def _try_flush(self) -> None:
        """Write the counted hits unless someone is writing: a hit never waits for a lock.

        Another thread of this worker holding the lock is storing an entry, and its put
        writes the batch too. Another worker (or instance) holding the store's writer
        lock makes ``writing_now`` give up at once, and the batch waits for the next hit
        a second later, or the next put.
        """
        if not self._write_lock.acquire(blocking=False):
            return
        try:
            batch = self._hits.take()
            if batch:
                with self.index.writing_now() as conn:
                    if conn is None:  # another worker is writing
                        self._hits.restore(batch)
                    else:
                        self.index.apply_hits(conn, batch)
        except (*ERRORS, OSError) as exc:  # counts for eviction and stats: not worth a miss
            log.warning("cache hit counts not written: %s", type(exc).__name__)
        finally:
            self._write_lock.release()

    def _flush_quietly(self) -> None:
        try:
            self.flush_hits()
        except (*ERRORS, OSError) as exc:  # counts for eviction and stats: not worth a miss
            log.warning("cache hit counts not written: %s", type(exc).__name__)

    def flush_hits(self) -> None:
        """Write the hits this process counted since the last batch."""
        batch = self._hits.take()
        if batch:
            with self._write() as conn:
                self.index.apply_hits(conn, batch)

    def put(self, key: str, meta: Meta, entry: Entry, max_age: int) -> bool:
        """Store (or replace) ``key``; False when the entry alone is over the budget."""
        texts = [image.text or b"" for image in entry.images]
        size = sum(len(text) for text in texts)
        if size > self.max_bytes:
            return False
        names = [files.text_name(text) for text in texts]
        named = dict(zip(names, texts, strict=True))
        now = self.clock()
        self.texts.stage(named, now + max_age)
        body = dump(entry, names)
        with self._write() as conn:
            self.index.apply_hits(conn, self._hits.take())  # so that eviction sees them
            self.texts.ensure(conn, named, now + max_age)  # an eviction may have run since
            dropped = _names(self.index.rows_of(conn, key))
            self.index.replace(
                conn,
                {
                    "key": key,
                    "team": meta.team,
                    "provider": meta.provider,
                    "model": meta.model,
                    "created_at": now,
                    "expires_at": now + max_age,
                    "last_used_at": now,
                    "hits": 0,
                    "size_bytes": size,
                    "entry": body,
                },
            )
            dropped |= self._evict(conn, now, keep=key)
            self._drop_unreferenced(conn, dropped)
        return True

    def _evict(self, conn: Connection, now: float, keep: str | None = None) -> set[str]:
        """Drop expired entries, then the least recently used until within budget."""
        dropped = _names(self.index.delete_expired(conn, now))
        over = self.index.total_bytes(conn) - self.max_bytes
        if over <= 0:
            return dropped
        for victim in self.index.least_recently_used(conn, over, keep):
            dropped |= _names(self.index.delete_key(conn, victim))
        return dropped

    def _drop_unreferenced(self, conn: Connection, names: Iterable[str]) -> None:
        unused = [
            name
            for name in names
            if FILE.match(name)  # never a path outside the directory
            and not self.index.references(conn, name)
        ]
        if unused:
            self.texts.drop(conn, unused)

    def purge_expired(self) -> int:
        """Remove expired entries and every text no entry refers to (left by a writer that
        died between its text and its row); return how many entries went."""
        with self._write() as conn:
            before = self.index.count(conn)
            self._evict(conn, self.clock())
            self.texts.purge(conn, _names(self.index.all_rows(conn)))
            return before - self.index.count(conn)

    def clear(self) -> int:
        """Remove every entry and every text (stray temporary files too)."""
        with self._write() as conn:
            removed = self.index.delete_all(conn)
            self.texts.clear(conn)
        return removed

    def stats(self) -> dict[str, Any]:
        self.flush_hits()
        stats = self.index.stats(self.clock())
        stats["files"], stats["file_bytes"] = self.texts.usage()
        stats["budget_bytes"] = self.max_bytes
        return stats

    def close(self) -> None:
        """Write pending hits (CLI and tests); the database stays the caller's."""
        self.flush_hits()


def _names(rows: Rows) -> set[str]:
    """The images of ``(key, entry)`` rows; a corrupt row has none (a ``DELETE ...
    RETURNING`` still drops it)."""
    names: set[str] = set()
    for key, text in rows:
        entry = parse(key, text)
        if entry is not None:
            names.update(image["file"] for image in entry["images"])
    return names
