"""Admission control: how many image calls the instance serves at once. Never waits.

An image call holds a connection for 5 to 60 s. Beyond ``GATEWAY_MAX_IN_FLIGHT`` a call
is refused at once (503 ``gateway_overloaded``) rather than queued where its caller
cannot see it; load balancers, nginx and SDKs can then act on the refusal.

The count is per instance, across gunicorn's worker processes: the kernel spreads
connections unevenly, so a per-worker share would refuse on one worker while another
has room. gunicorn's master builds the app (``preload_app``) and its ``when_ready``
hook calls :func:`share` before any worker forks; the counts then live in an anonymous
shared memory map that every worker inherits. Each worker counts in a slot of its own,
claimed on its first call, so the master's ``child_exit`` hook (:func:`retire`) frees
what a dead worker (SIGKILL, crash, recycling) still held. Elsewhere (Flask's test
client, the development server, mod_wsgi) each process counts on its own, in memory.

Taking a place takes no cross-process lock: a worker adds one to its own slot first,
then sums the claimed slots, and takes the place back if the sum is over the capacity.
Two workers racing for the last place can then both refuse (never both admit): a
refusal at the very edge of the capacity, in exchange for no lock and no system call
on every call (four ``fcntl`` calls, and their waits under load, before). Claiming and
freeing slots, rare, take a POSIX record lock (``fcntl.lockf``) on an unlinked
temporary file: the kernel drops it when its holder dies, so a worker killed while it
holds it cannot wedge the instance, as a ``multiprocessing`` semaphore would. A record
lock belongs to a process, not a thread, so a thread lock comes first. Nothing under
either lock can yield to gevent's hub (no I/O, no logging).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

# Worker slots in the shared table: far above GATEWAY_WORKERS' maximum, because a HUP
# reload runs the old and the new workers side by side, and TTIN adds more.
SLOTS = 1024
# Cell 0 counts the changes to the table of slots; slot i is cells 1 + 2i (its worker's
# pid, 0 when free) and 2 + 2i (that worker's calls in flight).
_CHANGES = 0


class Counts(Protocol):
    """Where the in-flight calls are counted: in this process, or across a gunicorn tree."""

    def enter(self, capacity: int) -> bool: ...

    def leave(self) -> None: ...

    def in_flight(self) -> int: ...


class LocalCounts:
    """One process's count (tests, mod_wsgi, the development server)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def enter(self, capacity: int) -> bool:
        with self._lock:
            if self._n >= capacity:
                return False
            self._n += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._n = max(self._n - 1, 0)

    def in_flight(self) -> int:
        return self._n


class SharedCounts:
    """Per-worker counts in shared memory, created in gunicorn's master before it forks.

    Cells are int64: a change counter, then ``(pid, count)`` per slot. Each worker keeps
    the list of claimed slots it sums, and reads it anew when the change counter moved.
    """

    def __init__(self, slots: int = SLOTS) -> None:
        self._slots = slots
        self._map = mmap.mmap(-1, (1 + 2 * slots) * 8)  # anonymous, MAP_SHARED: kept by fork
        self._cells = memoryview(self._map).cast("q")
        fd, path = tempfile.mkstemp(prefix="gateway-admission-")
        os.unlink(path)  # only the descriptor, inherited by every worker, is needed
        self._fd = fd
        weakref.finalize(self, os.close, fd)
        self._thread_lock = threading.Lock()
        # Taken and given back between a worker's own write and its reads of the others'
        # slots: a full memory barrier, so both workers of a race see each other's write.
        self._barrier = threading.Lock()
        self._pid = 0  # the process that owns ``_slot``; a forked worker claims its own
        self._slot = -1
        self._seen = -1  # the change counter when ``_claimed`` was read
        self._claimed: tuple[int, ...] = ()  # count cells of the claimed slots

    @contextmanager
    def _locked(self) -> Iterator[memoryview]:
        """The slot table to claim or free slots in (or to read it whole)."""
        with self._thread_lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield self._cells
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def enter(self, capacity: int) -> bool:
        own = 2 + 2 * self._own_slot()
        cells = self._cells
        with self._thread_lock:
            cells[own] += 1
            with self._barrier:
                pass
            if self._total() <= capacity:
                return True
            cells[own] -= 1
            return False

    def leave(self) -> None:
        own = 2 + 2 * self._own_slot()
        with self._thread_lock:
            if self._cells[own] > 0:  # a stray leave never counts below zero
                self._cells[own] -= 1

    def in_flight(self) -> int:
        return self._total()

    def _total(self) -> int:
        """The sum of the claimed slots' counts, read again if the table changed meanwhile
        (a worker born during the sum is counted)."""
        cells = self._cells
        while True:
            changes = cells[_CHANGES]
            if changes != self._seen:
                self._claimed = tuple(2 + 2 * i for i in range(self._slots) if cells[1 + 2 * i])
                self._seen = changes
            total = sum(cells[c] for c in self._claimed)
            if cells[_CHANGES] == changes:
                return total

    def slots(self) -> dict[int, int]:
        """``{pid: in-flight calls}`` of every claimed slot (tests, diagnostics)."""
        with self._locked() as cells:
            return {
                int(cells[1 + 2 * i]): int(cells[2 + 2 * i])
                for i in range(self._slots)
                if cells[1 + 2 * i]
            }

    def retire(self, pid: int) -> int:
        """Free the slot of a worker that has exited; return the calls it still held."""
        with self._locked() as cells:
            for i in range(self._slots):
                if cells[1 + 2 * i] == pid:
                    return _free(cells, i)
        return 0

    def _own_slot(self) -> int:
        pid = os.getpid()
        if self._pid != pid:
            with self._locked() as cells:
                if self._pid != pid:  # another thread of this worker may have claimed it
                    self._slot = _claim(cells, self._slots, pid)
                    self._pid = pid
        return self._slot


def _free(cells: memoryview, slot: int) -> int:
    held = int(cells[2 + 2 * slot])
    cells[1 + 2 * slot] = 0
    cells[2 + 2 * slot] = 0
    cells[_CHANGES] += 1
    return held


def _claim(cells: memoryview, slots: int, pid: int) -> int:
    """A free slot for ``pid``; slots of processes that are gone are freed on the way, in
    case a ``child_exit`` hook did not run (a gunicorn started with another config)."""
    found = -1
    for i in range(slots):
        owner = cells[1 + 2 * i]
        if owner and (owner == pid or not _alive(owner)):  # == pid: a dead namesake's slot
            _free(cells, i)
        if found < 0 and not cells[1 + 2 * i]:
            found = i
    if found < 0:
        raise RuntimeError(f"admission: all {slots} worker slots are taken")
    cells[2 + 2 * found] = 0
    cells[1 + 2 * found] = pid
    cells[_CHANGES] += 1
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid now belongs to another user's process
        return True
    return True


class Admission:
    """The capacity and the calls in flight; ``enter`` answers at once, it never queues."""

    def __init__(self, capacity: int, counts: Counts | None = None) -> None:
        self.capacity = capacity
        self.counts: Counts = counts if counts is not None else LocalCounts()

    def enter(self) -> bool:
        """Take a place if there is room; every True must be followed by one ``leave``."""
        return self.counts.enter(self.capacity)

    def leave(self) -> None:
        self.counts.leave()

    def in_flight(self) -> int:
        return self.counts.in_flight()

    def has_room(self) -> bool:
        return self.in_flight() < self.capacity

    def share(self, slots: int = SLOTS) -> None:
        """Count across every process forked from now on. Idempotent; call it in the
        parent before it forks, with no call in flight."""
        if not isinstance(self.counts, SharedCounts):
            self.counts = SharedCounts(slots)

    def retire(self, pid: int) -> int:
        """Free an exited worker's slot; return the calls it still held (0 if not shared)."""
        return self.counts.retire(pid) if isinstance(self.counts, SharedCounts) else 0


def of(app: Any) -> Admission:
    """The admission of an app built by ``create_app`` (gunicorn's ``server.app.wsgi()``)."""
    extensions = getattr(app, "extensions", None)
    if not extensions or "gateway" not in extensions:
        raise TypeError("admission: the WSGI callable is not the app create_app built")
    admission: Admission = extensions["gateway"].admission
    return admission


def share(app: Any) -> None:
    """gunicorn's ``when_ready`` hook, in the master before the first fork."""
    of(app).share()


def retire(app: Any, pid: int) -> int:
    """gunicorn's ``child_exit`` hook, in the master: the dead worker's calls are freed."""
    return of(app).retire(pid)
