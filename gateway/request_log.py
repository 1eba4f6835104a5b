"""The request log: one row per request, written off the request path.

Rows go to a bounded queue; one writer thread per worker process commits them
in batches (short ``BEGIN IMMEDIATE`` transactions), so a request never waits
on SQLite's write lock. The writer wakes every ``WRITE_EVERY_S`` (or as soon as a
batch is full, or on ``flush``), not per row: waking a thread for each request cost
more CPU than the rest of the row's work, and took the GIL from the next request.
The writer is a real OS thread under gevent too (``os_threads``): as a greenlet,
each commit would stall the whole worker. At exit ``flush`` waits for every queued
row. A full queue makes the caller write its row itself (back-pressure, never a
drop), except for answers that must not wait (a 503 ``gateway_overloaded`` under a
burst), which ``offer`` drops instead: each drop is counted and logged. Rows that
still cannot be written are reported in the error log with their count: nothing is
lost silently. Never a secret in a row; the prompt only while
``GATEWAY_LOG_PROMPTS`` allows.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from . import os_threads
from .db import connect

log = logging.getLogger("gateway.request_log")

COLUMNS = (
    "created_at",
    "request_id",
    "trace_id",
    "provider",
    "model",
    "n",
    "size",
    "quality",
    "status",
    "latency_ms",
    "upstream_latency_ms",
    "error_code",
    "bytes_out",
    "metadata",
    "prompt",
    "target",
    "client_ip",
    "team",
    "virtual_key",
    "config_name",
    "config_version",
    "api_key_id",
    "cache_status",
    "images",
    "cost_micro_usd",
)
ATTEMPT_COLUMNS = (
    "request_id",
    "seq",
    "target_path",
    "provider",
    "status",
    "failure",
    "latency_ms",
    "skip_reason",
    "created_at",
)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names


_INSERT = _insert("request_log", COLUMNS)
_INSERT_ATTEMPT = _insert("request_attempts", ATTEMPT_COLUMNS)
Item = tuple[tuple[Any, ...], list[tuple[Any, ...]]]  # a request row and its attempt rows
BATCH = 256
WRITE_EVERY_S = 0.05  # the most a row waits in the queue before its commit starts
QUEUE_SIZE = 10_000
WRITE_ATTEMPTS = 5


def _item(row: Mapping[str, Any], attempts: Sequence[Mapping[str, Any]]) -> Item:
    return (
        tuple(row.get(c) for c in COLUMNS),
        [tuple(a.get(c) for c in ATTEMPT_COLUMNS) for a in attempts],
    )


class RequestLog:
    def __init__(self, path: str) -> None:
        self.path = path
        # Rows, and the flush markers (os_threads.Signal) that follow them; shared by the
        # request threads (or greenlets) and the writer, an OS thread in either mode.
        self._queue: queue.SimpleQueue[Item | os_threads.Signal] = os_threads.simple_queue()
        self._bell = os_threads.Bell()  # wakes the writer before its next WRITE_EVERY_S
        self.capacity = QUEUE_SIZE  # rows queued at most (checked before a put)
        self._lock = threading.Lock()  # never taken by the writer
        self._pid: int | None = None
        self.dropped = 0  # rows ``offer`` could not queue, in this process

    def record(self, row: Mapping[str, Any], attempts: Sequence[Mapping[str, Any]] = ()) -> None:
        item = _item(row, attempts)
        if not self._put(item):
            # Full: the caller waits for its own write (back-pressure); under gevent on a
            # pool thread, so that only this greenlet waits, not the whole worker.
            os_threads.run_blocking(self._write, [item])

    def offer(self, row: Mapping[str, Any]) -> bool:
        """Queue a row, or drop it when the queue is full: for an answer that must not wait
        on SQLite (a 503 under an overload burst). False: dropped, counted in ``dropped``
        and logged (at the 1st, 2nd, 4th, 8th... drop, so a burst cannot flood the log)."""
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
        conn: sqlite3.Connection | None = None
        rows: list[Item] = []
        while True:
            if len(rows) < BATCH:  # after a full batch, more may be waiting: no pause
                bell.wait(WRITE_EVERY_S)
            rows, markers = _batch(items)
            try:
                if rows:
                    conn = self._write(rows, conn)
            except Exception:  # the thread must survive any row, or logging stops for good
                log.exception("request log: %d rows could not be written", len(rows))
            finally:
                for marker in markers:
                    marker.set()

    def _write(
        self, rows: list[Item], conn: sqlite3.Connection | None = None
    ) -> sqlite3.Connection | None:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                conn = conn or connect(self.path)
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(_INSERT, [row for row, _ in rows])
                conn.executemany(_INSERT_ATTEMPT, [a for _, attempts in rows for a in attempts])
                conn.execute("COMMIT")
                return conn
            except (sqlite3.Error, ValueError) as exc:  # ValueError: text SQLite cannot store
                if conn is not None:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        conn.close()
                        conn = None
                if attempt == WRITE_ATTEMPTS - 1:
                    log.error(
                        "request log: %d rows could not be written: %s",
                        len(rows),
                        type(exc).__name__,
                    )
                else:
                    os_threads.sleep(0.05 * 2**attempt)
        return conn


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


def query(
    conn: sqlite3.Connection,
    *,
    trace_id: str | None = None,
    status: str | None = None,
    since: float | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Recent rows, newest first. ``status`` is ``200`` or a class such as ``4xx``."""
    where, args = [], []
    if trace_id:
        where.append("trace_id = ?")
        args.append(trace_id)
    if status:
        if len(status) == 3 and status[0].isdigit() and status[1:].lower() == "xx":
            low = int(status[0]) * 100
            where.append("status BETWEEN ? AND ?")
            args += [low, low + 99]
        else:
            where.append("status = ?")
            args.append(int(status))
    if since is not None:
        where.append("created_at >= ?")
        args.append(since)
    sql = "SELECT * FROM request_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    args.append(limit)
    return [dict(row) for row in conn.execute(sql, args)]
