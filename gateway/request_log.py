"""The request log: one row per request, written off the request path.

Rows go to a bounded queue; one writer thread per worker process commits them
in batches (short ``BEGIN IMMEDIATE`` transactions), so a request never waits
on SQLite's write lock. A full queue makes the caller write its row itself
(back-pressure, never a drop), except for answers that must not wait (a 503
``gateway_overloaded`` under a burst), which ``offer`` drops instead: each drop is
counted and logged. Rows that still cannot be written are reported in the error log
with their count: nothing is lost silently. Never a secret in
a row; the prompt only while ``GATEWAY_LOG_PROMPTS`` allows.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

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
        self._queue: queue.Queue[Item] = queue.Queue(QUEUE_SIZE)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.dropped = 0  # rows ``offer`` could not queue, in this process

    def record(self, row: Mapping[str, Any], attempts: Sequence[Mapping[str, Any]] = ()) -> None:
        item = _item(row, attempts)
        self._ensure_writer()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._write([item])

    def offer(self, row: Mapping[str, Any]) -> bool:
        """Queue a row, or drop it when the queue is full: for an answer that must not wait
        on SQLite (a 503 under an overload burst). False: dropped, counted in ``dropped``
        and logged (at the 1st, 2nd, 4th, 8th... drop, so a burst cannot flood the log)."""
        item = _item(row, ())
        self._ensure_writer()
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            with self._lock:
                self.dropped += 1
                dropped = self.dropped
            if dropped & (dropped - 1) == 0:
                log.error("request log: queue full, %d rows dropped so far", dropped)
            return False

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued row is committed (tests, shutdown)."""
        end = time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                remaining = end - time.monotonic()
                if remaining <= 0 or not done.wait(remaining):
                    return False
        return True

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                # After a fork the parent's thread and queue contents are not ours.
                self._queue = queue.Queue(QUEUE_SIZE)
                thread = threading.Thread(target=self._run, name="request-log", daemon=True)
                thread.start()
                self._pid = os.getpid()
                atexit.register(self.flush)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            rows = [self._queue.get()]
            # Whatever queued up while the last batch was written goes in this one.
            while len(rows) < BATCH:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                conn = self._write(rows, conn)
            except Exception:  # the thread must survive any row, or logging stops for good
                log.exception("request log: %d rows could not be written", len(rows))
            finally:
                for _ in rows:
                    self._queue.task_done()

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
                    time.sleep(0.05 * 2**attempt)
        return conn


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
