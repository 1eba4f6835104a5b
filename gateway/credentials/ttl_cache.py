"""A small in-process cache for the request path's key store reads.

Each entry lives ``ttl`` seconds from the moment *before* its read was sent, so a
value is never served longer than ``ttl`` after the database state it shows: a change
committed anywhere (another worker, another machine, the CLI) is seen within ``ttl``
plus the time of one read. An entry also dies at once when the store's ``generation``
moves (a write through the same store object, in this process).

Unknown names are cached too (as ``None``), so a client retrying a revoked key or a
missing config does not cost a query per request. The size is bounded; when full, the
oldest entry goes (a flood of made-up keys then costs what it cost without a cache:
one indexed read each).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Thread-safe: a hit is one dict read, a miss takes the lock only to store."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (expires at, generation, value); insertion order is age order.
        self._entries: dict[K, tuple[float, int, V]] = {}

    def get(self, key: K, generation: int, load: Callable[[], V]) -> V:
        """The cached value, or ``load()`` stored for ``ttl``.

        ``generation`` is the store's, read by the caller *before* this call, so that a
        write committed while ``load`` runs leaves a stale value already expired.
        """
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0] and entry[1] == generation:
            return entry[2]
        value = load()
        if self.ttl > 0:
            with self._lock:
                self._entries.pop(key, None)  # re-inserted last: the youngest
                while len(self._entries) >= self.max_entries:
                    del self._entries[next(iter(self._entries))]
                self._entries[key] = (now + self.ttl, generation, value)
        return value

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
