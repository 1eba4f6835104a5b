"""The frozen old migrations (gateway/store/legacy.py): what legacy stores hold."""

from __future__ import annotations

import os
import stat

from gateway.store import legacy


def _columns(conn, table):
    return [row["name"] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_version_1_store_upgrades_in_place(tmp_path, monkeypatch):
    path = str(tmp_path / "gateway.db")
    conn = legacy.connect(path)
    monkeypatch.setattr(legacy, "MIGRATIONS", legacy.MIGRATIONS[:1])
    assert legacy.migrate(conn) == 1
    conn.execute(
        "INSERT INTO request_log (created_at, request_id, trace_id, status, latency_ms) "
        "VALUES (1.0, 'r1', 't1', 200, 3.5)"
    )
    monkeypatch.undo()
    assert legacy.migrate(conn) == legacy.MIGRATIONS[-1][0] >= 3
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


def test_immediate_commits_or_rolls_back(tmp_path):
    conn = legacy.connect(str(tmp_path / "gateway.db"))
    conn.execute("CREATE TABLE t (x INTEGER)")
    with legacy.immediate(conn):
        conn.execute("INSERT INTO t VALUES (1)")
    try:
        with legacy.immediate(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise LookupError
    except LookupError:
        pass
    assert [row[0] for row in conn.execute("SELECT x FROM t")] == [1]
    assert not conn.in_transaction


def test_prepare_creates_private_files_and_wal(tmp_path):
    path = str(tmp_path / "d" / "gateway.db")
    legacy.prepare(str(tmp_path / "d"), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700
    conn = legacy.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert legacy.migrate(conn) == legacy.MIGRATIONS[-1][0]  # idempotent
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
        legacy.MIGRATIONS
    )
