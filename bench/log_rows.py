"""The gateway's request log, read by the scenarios that account for every request.

Rows are written by a background thread in each worker (gateway/request_log.py), so a
row lands some milliseconds after its answer; :func:`settle` waits, bounded, until the
count stops growing. Read-only: the file is opened with ``mode=ro``.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def count(db: Path, since: float) -> int:
    try:
        conn = _connect(db)
    except sqlite3.Error:
        return 0
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM request_log WHERE created_at >= ?", (since,)
        ).fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def settle(db: Path, since: float, want: int, timeout: float = 30.0) -> tuple[int, float]:
    """Wait until ``want`` rows since ``since`` exist, or the count has not moved for 3 s,
    or ``timeout``; return (rows, seconds waited)."""
    t0 = time.monotonic()
    last, last_change = -1, t0
    while time.monotonic() - t0 < timeout:
        n = count(db, since)
        if n >= want:
            return n, time.monotonic() - t0
        if n != last:
            last, last_change = n, time.monotonic()
        elif time.monotonic() - last_change > 3:
            break
        time.sleep(0.2)
    return count(db, since), time.monotonic() - t0


def rows(db: Path, since: float, columns: str = "trace_id, status, error_code, latency_ms"):
    conn = _connect(db)
    try:
        sql = f"SELECT {columns} FROM request_log WHERE created_at >= ?"  # noqa: S608 - ours
        return [dict(r) for r in conn.execute(sql, (since,))]
    finally:
        conn.close()


def attempts(db: Path, since: float) -> list[dict]:
    """Upstream attempts (status, failure) of the requests logged since ``since``."""
    conn = _connect(db)
    try:
        sql = "SELECT status, failure, skip_reason FROM request_attempts WHERE created_at >= ?"
        return [dict(r) for r in conn.execute(sql, (since,))]
    finally:
        conn.close()
