"""GATEWAY_DATABASE_URL rules, SQLite pragmas and transactions, PostgreSQL pools, forks."""

from __future__ import annotations

import os
import re
import sqlite3

import pytest
from sqlalchemy import QueuePool, text
from sqlalchemy.exc import OperationalError

from gateway.settings import Settings
from gateway.store import engine as store_engine
from gateway.store.engine import (
    IMMEDIATE,
    DatabaseURLError,
    WorkerEngine,
    create_engine_for,
    database_url,
)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"GATEWAY_DATA_DIR": "/srv/gw"}, "sqlite:////srv/gw/gateway.db"),
        ({"GATEWAY_DATA_DIR": "/srv/gw", "GATEWAY_DATABASE_URL": "  "}, "sqlite:////srv/gw/gateway.db"),
        ({"GATEWAY_DATABASE_URL": "postgresql://u:p%40ss@db:5433/gw"}, "postgresql+psycopg://u:p%40ss@db:5433/gw"),
        ({"GATEWAY_DATABASE_URL": "postgres://u@db/gw"}, "postgresql+psycopg://u@db/gw"),
        ({"GATEWAY_DATABASE_URL": "postgresql+psycopg://u@db/gw?sslmode=require"}, "postgresql+psycopg://u@db/gw?sslmode=require"),
        ({"GATEWAY_DATA_DIR": "/srv/gw", "GATEWAY_DATABASE_URL": "sqlite:///other.db"}, "sqlite:////srv/gw/other.db"),
        ({"GATEWAY_DATABASE_URL": "sqlite:////var/lib/gw.db"}, "sqlite:////var/lib/gw.db"),
    ],
)  # fmt: skip
def test_database_url_from_the_environment(environ, expected):
    assert database_url(environ) == expected


def test_database_url_defaults_to_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert database_url({}) == f"sqlite:///{tmp_path}/data/gateway.db"
    settings = Settings(data_dir=str(tmp_path / "elsewhere"))
    assert database_url(settings) == f"sqlite:///{tmp_path}/elsewhere/gateway.db"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://u:s3cret@db/gw", "unsupported scheme 'mysql'"),
        ("postgresql+psycopg2://u:s3cret@db/gw", "unsupported scheme 'postgresql+psycopg2'"),
        ("postgresql://u:s3cret@db", "must name its database"),
        ("sqlite://", "must name a file"),
        ("sqlite:///:memory:", "must name a file"),
        ("s3cret", "not a URL"),
    ],
)
def test_a_bad_database_url_is_named_but_never_printed(raw, message):
    with pytest.raises(DatabaseURLError, match=re.escape(message)) as caught:
        database_url({"GATEWAY_DATABASE_URL": raw})
    assert str(caught.value).startswith("GATEWAY_DATABASE_URL: ")
    assert "s3cret" not in str(caught.value)


def _pragmas(connection):
    names = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    return [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]


def test_every_sqlite_connection_gets_the_pragmas_of_db_connect(sqlite_db):
    engine = create_engine_for(sqlite_db)
    with engine.connect() as first, engine.connect() as second:
        assert _pragmas(first) == _pragmas(second) == ["wal", 10_000, 1, 1]
    engine.dispose()


def _create_then_fail(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        raise RuntimeError


def test_sqlite_ddl_is_transactional(sqlite_db):
    engine = create_engine_for(sqlite_db)
    with pytest.raises(RuntimeError):
        _create_then_fail(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM sqlite_master").all() == []
    engine.dispose()


def _other_writer_locked_out(path):
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()
    return False


def test_sqlite_write_transactions_can_take_the_lock_first(sqlite_db):
    engine = create_engine_for(sqlite_db)
    path = engine.url.database
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")  # a deferred read holds no write lock
        assert not _other_writer_locked_out(path)
    with engine.connect().execution_options(**IMMEDIATE) as connection:
        connection.exec_driver_sql("SELECT 1")
        assert _other_writer_locked_out(path)
    engine.dispose()


def test_an_unknown_begin_mode_is_refused(sqlite_db):
    engine = create_engine_for(sqlite_db)
    with pytest.raises(ValueError, match="sqlite_begin"), engine.connect() as connection:
        connection.execution_options(sqlite_begin="NOW; DROP TABLE x").exec_driver_sql("SELECT 1")
    engine.dispose()


def test_a_postgres_engine_is_a_small_pinged_psycopg_pool(postgres_db):
    engine = create_engine_for(postgres_db, pool_size=3, max_overflow=4, pool_timeout=2.5)
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    assert isinstance(engine.pool, QueuePool)
    assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout) == (3, 4, 2.5)
    assert engine.pool._pre_ping
    with engine.connect() as connection:
        assert connection.execute(text("SHOW application_name")).scalar() == "image-gateway"
    engine.dispose()


def test_a_postgres_engine_that_cannot_connect_says_so():
    engine = create_engine_for("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(OperationalError):
        engine.connect()
    engine.dispose()


def test_worker_engine_is_created_lazily_once_per_process(sqlite_db, monkeypatch):
    holder = WorkerEngine(sqlite_db, pool_size=2)
    assert holder._engine is None  # nothing is opened before the fork
    parent = holder.get()
    assert holder.get() is parent
    with parent.connect() as connection:
        inherited = connection.connection.dbapi_connection
    pid = os.getpid()
    monkeypatch.setattr(store_engine.os, "getpid", lambda: pid + 1)  # as in a forked worker
    child = holder.get()
    assert child is not parent
    assert child.pool is not parent.pool
    # after_fork: the parent's handle is dropped from the child's books, not closed.
    assert inherited.execute("SELECT 1").fetchone() == (1,)
    holder.dispose()
    assert holder._engine is None
    inherited.close()
