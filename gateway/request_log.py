"""The request log: one row per request, written off the request path.

Rows go to a bounded queue; one writer thread per worker process commits them
in batches, each one short write transaction through the store (``gateway.store``:
``BEGIN IMMEDIATE`` on SQLite, a pooled connection on PostgreSQL), so a request never
waits on the database. The writer wakes every ``WRITE_EVERY_S`` (or as soon as a
batch is full, or on ``flush``), not per row: waking a thread for each request cost
more CPU than the rest of the row's work, and took the GIL from the next request.
The writer is a real OS thread under gevent too (``os_threads``): as a greenlet,
each commit would stall the whole worker. At exit ``flush`` waits for every queued
row. A full queue makes the caller write its row itself (back-pressure, never a
drop), except for answers that must not wait (a 503 ``gateway_overloaded`` under a
burst), which ``offer`` drops instead: each drop is counted and logged.

A transient failure (the database locked, unreachable or restarting) is retried
``WRITE_ATTEMPTS`` times with a growing pause; a batch the database refuses for its
content is written again row by row, so that only the offending rows are lost. Rows
that still cannot be written are counted (``lost``) and reported in the error log
with their count: nothing is lost silently. Never a secret in a row; the prompt only
while ``GATEWAY_LOG_PROMPTS`` allows.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc

from . import os_threads
from .store import health
from .store import request_log as store
from .store.database import Database

log = logging.getLogger("gateway.request_log")

COLUMNS = store.COLUMNS
ATTEMPT_COLUMNS = store.ATTEMPT_COLUMNS
Item = tuple[dict[str, Any], list[dict[str, Any]]]  # a request row and its attempt rows
BATCH = 256
WRITE_EVERY_S = 0.05  # the most a row waits in the queue before its commit starts
QUEUE_SIZE = 10_000
WRITE_ATTEMPTS = 5
# Worth another try: the database is locked, restarting, unreachable, or the pool is
# exhausted. Anything else (a value the column refuses) fails the same way every time.
_TRANSIENT = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    OSError,
)
# What a write can raise: the store's errors, the filesystem (the SQLite directory), and
# ValueError for text the driver cannot encode (a lone surrogate).
_WRITE_ERRORS = (sa_exc.SQLAlchemyError, OSError, ValueError)


def _item(row: Mapping[str, Any], attempts: Sequence[Mapping[str, Any]]) -> Item:
    return store.row_of(row), [store.attempt_of(a) for a in attempts]


def query(database: Database, **filters: Any) -> list[dict[str, Any]]:
    """Recent rows, newest first (``gateway.store.request_log.query``)."""
    return store.query(database, **filters)


class RequestLog:
    def __init__(self, database: Database) -> None:
        self.database = database
        # Rows, and the flush markers (os_threads.Signal) that follow them; shared by the
        # request threads (or greenlets) and the writer, an OS thread in either mode.
        self._queue: queue.SimpleQueue[Item | os_threads.Signal] = os_threads.simple_queue()
        self._bell = os_threads.Bell()  # wakes the writer before its next WRITE_EVERY_S
        self.capacity = QUEUE_SIZE  # rows queued at most (checked before a put)
        self._lock = threading.Lock()  # never taken by the writer
        # Taken by the writer and by back-pressure writers, OS threads under gevent too.
        self._lost_lock = os_threads._original("_thread", "allocate_lock")()
        self._pid: int | None = None
        self.dropped = 0  # rows ``offer`` could not queue, in this process
        self.lost = 0  # rows the store did not take after every attempt, in this process

    def record(self, row: Mapping[str, Any], attempts: Sequence[Mapping[str, Any]] = ()) -> None:
        item = _item(row, attempts)
        if not self._put(item):
            # Full: the caller waits for its own write (back-pressure); under gevent on a
            # pool thread, so that only this greenlet waits, not the whole worker.
            os_threads.run_blocking(self._write, [item])

    def offer(self, row: Mapping[str, Any]) -> bool:
        """Queue a row, or drop it when the queue is full: for an answer that must not wait
        on the store (a 503 under an overload burst). False: dropped, counted in
        ``dropped`` and logged (at the 1st, 2nd, 4th, 8th... drop, so a burst cannot flood
        the log)."""
        if self._put(_item(row, ())):
            return True
        with self._lock:
            self.dropped += 1
            dropped = self.dropped
        if dropped & (dropped - 1) == 0:
            log.error("request log: queue full, %d rows dropped so far", dropped)
        return False

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row queued so far is committed (tests, shutdown, at exit).

        A marker goes into the queue behind those rows; the writer sets it once it has
        written the batch the marker came in. False if ``timeout`` seconds pass first.
        """
        if self._pid != os.getpid():
            return True  # no writer in this process, so nothing queued by it
        done = os_threads.Signal()
        self._queue.put(done)
        self._bell.ring()
        return done.wait(timeout)

    def _put(self, item: Item) -> bool:
        """Queue ``item``; False when ``capacity`` rows are already waiting."""
        self._ensure_writer()
        waiting = self._queue.qsize()  # approximate by a few: fine for a bound
        if waiting >= self.capacity:
            return False
        self._queue.put(item)
        if waiting + 1 == BATCH:
            self._bell.ring()  # a full batch: no reason to wait out the interval
        return True

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                # After a fork the parent's thread and queue contents are not ours.
                self._queue = os_threads.simple_queue()
                self._bell = os_threads.Bell()
                os_threads.start(self._run, self._queue, self._bell, name="request-log")
                self._pid = os.getpid()
                atexit.register(self.flush)

    def _run(
        self, items: queue.SimpleQueue[Item | os_threads.Signal], bell: os_threads.Bell
    ) -> None:
        rows: list[Item] = []
        while True:
            if len(rows) < BATCH:  # after a full batch, more may be waiting: no pause
                bell.wait(WRITE_EVERY_S)
            rows, markers = _batch(items)
            try:
                if rows:
                    self._write(rows)
            except Exception:  # the thread must survive any row, or logging stops for good
                self._count_lost(len(rows))
                log.exception("request log: %d rows could not be written", len(rows))
            finally:
                for marker in markers:
                    marker.set()

    def _write(self, items: list[Item]) -> None:
        """Write ``items`` in one transaction; if the store refuses their content, one by
        one. Whatever is left unwritten is counted and logged with its count."""
        error = self._commit(items)
        if error is None:
            return
        lost, errors = len(items), [error]
        if len(items) > 1 and not isinstance(error, _TRANSIENT):
            lost, errors = 0, []
            for item in items:
                single = self._commit([item])
                if single is not None:
                    lost += 1
                    errors.append(single)
        if lost:
            self._count_lost(lost)
            log.error("request log: %d rows could not be written: %s", lost, _reason(errors[-1]))

    def _commit(self, items: list[Item]) -> BaseException | None:
        """Commit ``items``, retrying transient errors; None, or the last error."""
        rows = [row for row, _ in items]
        attempts = [a for _, item_attempts in items for a in item_attempts]
        for attempt in range(WRITE_ATTEMPTS):
            try:
                store.write_batch(self.database, rows, attempts)
                return None
            except _WRITE_ERRORS as exc:
                if attempt == WRITE_ATTEMPTS - 1 or not isinstance(exc, _TRANSIENT):
                    return exc
                os_threads.sleep(0.05 * 2**attempt)
        return None  # not reached: the last attempt returns

    def _count_lost(self, n: int) -> None:
        with self._lost_lock:
            self.lost += n


def _reason(exc: BaseException) -> str:
    """The error's class; for a failure to reach the database, also the driver's first
    line (host and cause, never a password). Never the text of a refused row."""
    return health.reason(exc) if isinstance(exc, _TRANSIENT) else type(exc).__name__


def _batch(
    items: queue.SimpleQueue[Item | os_threads.Signal],
) -> tuple[list[Item], list[os_threads.Signal]]:
    """The next batch: whatever is queued now (up to ``BATCH`` rows), and the flush
    markers among them; never waits."""
    rows: list[Item] = []
    markers: list[os_threads.Signal] = []
    while len(rows) < BATCH:
        try:
            entry = items.get_nowait()
        except queue.Empty:
            break
        if isinstance(entry, os_threads.Signal):
            markers.append(entry)
        else:
            rows.append(entry)
    return rows, markers
