from __future__ import annotations

import os
import threading

from gateway import db


def _columns(conn, table):
    return [row["name"] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_version_1_store_upgrades_in_place(tmp_path, monkeypatch):
    path = str(tmp_path / "gateway.db")
    conn = db.connect(path)
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:1])
    assert db.migrate(conn) == 1
    conn.execute(
        "INSERT INTO request_log (created_at, request_id, trace_id, status, latency_ms) "
        "VALUES (1.0, 'r1', 't1', 200, 3.5)"
    )
    monkeypatch.undo()
    assert db.migrate(conn) == db.MIGRATIONS[-1][0] >= 3
    row = dict(conn.execute("SELECT * FROM request_log").fetchone())
    assert (row["request_id"], row["team"], row["virtual_key"]) == ("r1", None, None)
    assert (row["config_name"], row["config_version"]) == (None, None)
    assert _columns(conn, "request_attempts") == [
        "id",
        "request_id",
        "seq",
        "target_path",
        "provider",
        "status",
        "failure",
        "latency_ms",
        "skip_reason",
        "created_at",
    ]
    assert _columns(conn, "configs") == ["name", "version", "body", "created_at", "deleted_at"]
    assert _columns(conn, "api_keys") == [
        "id",
        "name",
        "digest",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
        "limit_rpm",
        "limit_ipm",
        "limit_daily_micro_usd",
        "limit_monthly_micro_usd",
    ]
    assert _columns(conn, "usage_windows") == [
        "key_id",
        "window",
        "requests",
        "images",
        "spend_micro_usd",
        "expires_at",
    ]
    assert "entry" in _columns(conn, "cache_entries")
    assert "secret" in _columns(conn, "virtual_keys")
    conn.close()


def test_thread_connections_open_one_per_thread_and_again_after_a_fork(tmp_path, monkeypatch):
    connections = db.ThreadConnections(str(tmp_path / "gateway.db"), "PRAGMA secure_delete = ON")
    assert connections.current() is None  # nothing opened until asked
    mine = connections.get()
    assert connections.get() is mine is connections.current()
    assert mine.execute("PRAGMA secure_delete").fetchone()[0] == 1
    other = []
    thread = threading.Thread(target=lambda: other.append(connections.get()))
    thread.start()
    thread.join()
    assert other[0] is not mine
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a gunicorn worker after fork
    assert connections.current() is None
    child = connections.get()
    assert child is not mine
    connections.close()
    assert connections.current() is None


def test_immediate_commits_or_rolls_back(tmp_path):
    conn = db.connect(str(tmp_path / "gateway.db"))
    conn.execute("CREATE TABLE t (x INTEGER)")
    with db.immediate(conn):
        conn.execute("INSERT INTO t VALUES (1)")
    try:
        with db.immediate(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise LookupError
    except LookupError:
        pass
    assert [row[0] for row in conn.execute("SELECT x FROM t")] == [1]
    assert not conn.in_transaction
