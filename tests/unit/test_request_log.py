from __future__ import annotations

import os
import stat
import threading

from gateway import db, os_threads
from gateway.request_log import RequestLog, query


def row(**kw):
    base = {
        "created_at": 1000.0,
        "request_id": "r",
        "trace_id": "t",
        "status": 200,
        "latency_ms": 1.5,
        "bytes_out": 10,
    }
    base.update(kw)
    return base


def prepared(tmp_path):
    path = str(tmp_path / "d" / "gateway.db")
    db.prepare(str(tmp_path / "d"), path)
    return path


def test_prepare_creates_private_files_and_wal(tmp_path):
    path = prepared(tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700
    conn = db.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.migrate(conn) == db.MIGRATIONS[-1][0]  # idempotent
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
        db.MIGRATIONS
    )


def test_rows_from_many_threads_are_all_written(tmp_path):
    path = prepared(tmp_path)
    log = RequestLog(path)
    threads = [
        threading.Thread(
            target=lambda i=i: [log.record(row(trace_id=f"t{i}-{j}")) for j in range(50)]
        )
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.flush(10)
    conn = db.connect(path)
    assert conn.execute("SELECT count(*) FROM request_log").fetchone()[0] == 400


def test_query_filters(tmp_path):
    path = prepared(tmp_path)
    log = RequestLog(path)
    log.record(row(trace_id="a", status=200, created_at=100.0))
    log.record(row(trace_id="b", status=429, created_at=200.0))
    log.record(row(trace_id="c", status=502, created_at=300.0))
    assert log.flush()
    conn = db.connect(path)
    assert [r["trace_id"] for r in query(conn)] == ["c", "b", "a"]
    assert [r["trace_id"] for r in query(conn, status="4xx")] == ["b"]
    assert [r["trace_id"] for r in query(conn, status="502")] == ["c"]
    assert [r["trace_id"] for r in query(conn, since=150.0)] == ["c", "b"]
    assert [r["trace_id"] for r in query(conn, trace_id="a")] == ["a"]
    assert [r["trace_id"] for r in query(conn, limit=1)] == ["c"]


def test_unwritable_store_is_reported_not_silent(tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(os_threads, "sleep", lambda s: None)
    log = RequestLog(str(tmp_path / "missing" / "gateway.db"))
    log.record(row())
    assert log.flush()
    assert "request log: 1 rows could not be written" in caplog.text


def test_offer_drops_when_the_queue_is_full_counted_and_logged(tmp_path, caplog):
    log = RequestLog(prepared(tmp_path))
    log._pid, log.capacity = os.getpid(), 1  # no writer thread: the queue stays full
    assert log.offer(row(status=503)) is True
    assert [log.offer(row(status=503)) for _ in range(5)] == [False] * 5
    assert log.dropped == 5
    # Logged at the 1st, 2nd and 4th drop: a burst cannot flood the error log.
    assert [r.getMessage() for r in caplog.records] == [
        f"request log: queue full, {n} rows dropped so far" for n in (1, 2, 4)
    ]


def test_offered_rows_are_written(tmp_path):
    path = prepared(tmp_path)
    log = RequestLog(path)
    assert log.offer(row(status=503, error_code="gateway_overloaded"))
    assert log.flush(10)
    conn = db.connect(path)
    got = conn.execute("SELECT status, error_code FROM request_log").fetchall()
    assert [tuple(r) for r in got] == [(503, "gateway_overloaded")]
