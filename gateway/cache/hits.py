"""Cache hits counted in memory and written in batches, off most requests' path.

A hit needs ``last_used_at`` (for least-recently-used eviction) and the hit count
(for ``gateway cache stats``). Writing them on every hit would make each hit a write
transaction, and under concurrency hits would queue for the cache writers' lock (on
SQLite, its busy handler sleeps for milliseconds at a time). Instead each worker adds
them up and writes them in one ``UPDATE`` batch at most once a second, inside the next
store's transaction, from the hit that finds the batch due (only if nobody holds the
writers' lock: a hit never waits for it, and a batch that could not be written is kept
for the next try), or at exit. A crash loses the hit counts since the last batch, and
eviction sees another worker's hits a second or more late. The ``UPDATE`` itself is
``gateway.store.cache_index.CacheIndex.apply_hits``.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable

FLUSH_EVERY_S = 1.0


class Hits:
    def __init__(self, clock: Callable[[], float], every_s: float = FLUSH_EVERY_S) -> None:
        self.clock = clock
        self.every_s = every_s
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[float, int]] = {}
        self._flushed_at = clock()
        self._pid: int | None = None

    def add(self, key: str, now: float, flush_at_exit: Callable[[], None]) -> bool:
        """Count a hit; True when the batch is due to be written."""
        with self._lock:
            if self._pid != os.getpid():  # first hit in this process (after a fork)
                self._pid = os.getpid()
                self._pending = {}
                atexit.register(flush_at_exit)
            _, count = self._pending.get(key, (now, 0))
            self._pending[key] = (now, count + 1)
            return now - self._flushed_at >= self.every_s

    def take(self) -> list[tuple[float, int, str]]:
        """The batch to write, ``(last used, hits, key)`` per key; counting starts again."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed_at = self.clock()
        return [(used, count, key) for key, (used, count) in pending.items()]

    def restore(self, batch: list[tuple[float, int, str]]) -> None:
        """Put back a batch that could not be written, merged with hits counted since."""
        with self._lock:
            for used, count, key in batch:
                later, more = self._pending.get(key, (used, 0))
                self._pending[key] = (max(used, later), count + more)
