"""upgrade(): fresh databases, repeated runs, concurrent runs, and legacy SQLite stores."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.store import legacy, migrate
from tests.unit.store.reflect import schema_of, table_names


def _rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _seed(path):
    conn = legacy.connect(path)
    conn.execute("INSERT INTO configs VALUES ('prod', 1, '{}', 1.0, NULL)")
    conn.execute(
        "INSERT INTO request_log (created_at, request_id, trace_id, status, latency_ms, team) "
        "VALUES (2.0, 'r1', 't1', 200, 3.5, 'blue')"
    )
    conn.execute("INSERT INTO usage_windows (key_id, window, expires_at) VALUES ('k', 'd', 9.0)")
    conn.close()


def test_an_empty_database_gets_every_revision_and_a_second_run_changes_nothing(any_db):
    assert migrate.current(any_db) is None
    assert migrate.upgrade(any_db) == migrate.head()
    before = schema_of(any_db)
    assert migrate.upgrade(any_db) == migrate.head()
    assert schema_of(any_db) == before
    assert migrate.current(any_db) == migrate.head()
    assert "schema_migrations" not in table_names(any_db)


def test_current_does_not_create_a_sqlite_file(sqlite_db):
    assert migrate.current(sqlite_db) is None
    assert not os.path.exists(make_url(sqlite_db).database)


def test_the_sqlite_file_is_private(sqlite_db):
    migrate.upgrade(sqlite_db)
    path = Path(make_url(sqlite_db).database)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_legacy_store_is_stamped_keeps_its_rows_and_a_second_run_is_a_no_op(legacy_path):
    _seed(legacy_path)
    url = f"sqlite:///{legacy_path}"
    before = schema_of(url)
    assert migrate.upgrade(url) == migrate.head()
    after = schema_of(url)
    # Stamped, not rebuilt: revision 0003 only appends two columns to request_log.
    added = after["request_log"]["columns"][len(before["request_log"]["columns"]) :]
    assert [column[:3] for column in added] == [
        ("operation", "TEXT", True),
        ("uploads", "TEXT", True),
    ]
    kept = {name: after[name] for name in before}
    kept["request_log"] = {**kept["request_log"], "columns": kept["request_log"]["columns"][:-2]}
    assert kept == before
    assert set(after) - set(before) == {"blobs", "secrets"}  # revision 0002's
    assert _rows(legacy_path, "SELECT * FROM configs") == [("prod", 1, "{}", 1.0, None)]
    assert _rows(legacy_path, "SELECT request_id, team, bytes_out FROM request_log") == [
        ("r1", "blue", 0)
    ]
    assert _rows(legacy_path, "SELECT version_num FROM alembic_version") == [(migrate.head(),)]
    # The old bookkeeping stays, so the previous release still starts after a rollback.
    assert _rows(legacy_path, "SELECT version FROM schema_migrations") == [(1,), (2,), (3,), (4,)]
    assert migrate.upgrade(url) == migrate.head()
    assert schema_of(url) == after
    assert _rows(legacy_path, "SELECT COUNT(*) FROM request_log") == [(1,)]


def test_an_older_legacy_store_is_first_brought_up_by_the_old_migrations(tmp_path, monkeypatch):
    path = str(tmp_path / "gateway.db")
    monkeypatch.setattr(legacy, "MIGRATIONS", legacy.MIGRATIONS[:2])
    legacy.prepare(str(tmp_path), path)
    monkeypatch.undo()
    conn = legacy.connect(path)
    conn.execute("INSERT INTO configs VALUES ('prod', 1, '{}', 1.0, NULL)")
    conn.close()
    assert migrate.upgrade(f"sqlite:///{path}") == migrate.head()
    assert _rows(path, "SELECT version FROM schema_migrations") == [(1,), (2,), (3,), (4,)]
    assert _rows(path, "SELECT name FROM configs") == [("prod",)]
    assert "cache_entries" in table_names(f"sqlite:///{path}")


def test_a_legacy_store_whose_old_migrate_died_before_version_1_is_completed(tmp_path):
    path = str(tmp_path / "gateway.db")
    conn = legacy.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)")
    conn.close()
    assert migrate.upgrade(f"sqlite:///{path}") == migrate.head()
    assert _rows(path, "SELECT COUNT(*) FROM schema_migrations") == [(4,)]


def test_a_legacy_store_newer_than_revision_0001_knows_is_refused(legacy_path):
    conn = legacy.connect(legacy_path)
    conn.execute("INSERT INTO schema_migrations VALUES (5, 1.0)")
    conn.close()
    url = f"sqlite:///{legacy_path}"
    with pytest.raises(migrate.MigrationError, match="at version 5, but revision 0001 adopts"):
        migrate.upgrade(url)
    assert "alembic_version" not in table_names(url)


def test_a_hand_altered_legacy_store_is_not_stamped(legacy_path):
    conn = legacy.connect(legacy_path)
    conn.execute("DROP INDEX request_log_trace")
    conn.close()
    url = f"sqlite:///{legacy_path}"
    with pytest.raises(
        migrate.MigrationError, match=r"differs from revision 0001.*request_log_trace"
    ):
        migrate.upgrade(url)
    assert "alembic_version" not in table_names(url)


def test_tables_without_any_history_are_refused(sqlite_db):
    path = make_url(sqlite_db).database
    os.makedirs(os.path.dirname(path))
    _rows(path, "CREATE TABLE request_log (id INTEGER PRIMARY KEY)")
    with pytest.raises(migrate.MigrationError, match="request_log exist without a migration"):
        migrate.upgrade(sqlite_db)


def test_workers_starting_together_migrate_once(any_db):
    results, errors = [], []

    def run():
        try:
            results.append(migrate.upgrade(any_db))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [migrate.head()] * 4


def test_the_head_read_from_file_names_is_alembics_head():
    # upgrade() skips Alembic (and its import) when the store is at this revision.
    assert migrate.shipped_head() == migrate.head()


def test_starting_on_an_up_to_date_store_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate.upgrade(url)
    code = (
        "import sys; from gateway.store import migrate; "
        f"print(migrate.upgrade({url!r}), 'alembic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == [migrate.head(), "False"]
