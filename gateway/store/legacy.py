"""Frozen: the old SQLite store's migrations 1 to 4, kept only to adopt stores they made.

Before Alembic (``migrate.py``, ``migrations/``), ``gateway/db.py`` built the SQLite
store with these migrations and a ``schema_migrations`` table. ``migrate.upgrade``
runs them on a legacy store below :data:`migrate.LEGACY_HEAD` to bring it to the
schema that revision ``0001`` stamps; the tests use them to make such stores.

Do not change this module: every store made by a release before Alembic holds exactly
this history, and ``0001`` is checked against it (tests/unit/store/test_schema.py).
A schema change is a new Alembic revision, never a migration 5 here. Nothing outside
``migrate.py`` and the tests imports it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .engine import BUSY_TIMEOUT_MS

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE request_log (
            id INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            request_id TEXT NOT NULL,
            trace_id TEXT NOT NULL,
            provider TEXT,
            model TEXT,
            n INTEGER,
            size TEXT,
            quality TEXT,
            status INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            upstream_latency_ms REAL,
            error_code TEXT,
            bytes_out INTEGER NOT NULL DEFAULT 0,
            metadata TEXT,
            prompt TEXT,
            target TEXT,
            client_ip TEXT
        );
        CREATE INDEX request_log_trace ON request_log (trace_id);
        CREATE INDEX request_log_time ON request_log (created_at);
        CREATE INDEX request_log_status ON request_log (status, created_at);
        """,
    ),
    (
        2,
        # Gateway API keys keep only an HMAC of the key; provider secrets are Fernet tokens
        # bound to their row (gateway.credentials). Configs are versioned and soft-deleted so
        # a (name, version) in the request log never names two different bodies.
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            digest TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_used_at REAL,
            revoked_at REAL
        );
        CREATE INDEX api_keys_name ON api_keys (name);
        CREATE TABLE virtual_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            provider TEXT NOT NULL,
            secret TEXT NOT NULL,
            hint TEXT NOT NULL,
            base_url TEXT,
            fields TEXT NOT NULL,
            teams TEXT NOT NULL,
            disabled_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE configs (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            deleted_at REAL,
            PRIMARY KEY (name, version)
        );
        """,
    ),
    (
        3,
        """
        ALTER TABLE request_log ADD COLUMN team TEXT;
        ALTER TABLE request_log ADD COLUMN virtual_key TEXT;
        ALTER TABLE request_log ADD COLUMN config_name TEXT;
        ALTER TABLE request_log ADD COLUMN config_version INTEGER;
        CREATE TABLE request_attempts (
            id INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            target_path TEXT,
            provider TEXT,
            status INTEGER,
            failure TEXT,
            latency_ms REAL,
            skip_reason TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX request_attempts_request ON request_attempts (request_id, seq);
        CREATE INDEX request_attempts_time ON request_attempts (created_at);
        """,
    ),
    (
        4,
        """
        ALTER TABLE request_log ADD COLUMN api_key_id TEXT;
        ALTER TABLE request_log ADD COLUMN cache_status TEXT;
        ALTER TABLE request_log ADD COLUMN images INTEGER;
        ALTER TABLE request_log ADD COLUMN cost_micro_usd INTEGER;
        CREATE INDEX request_log_team_time ON request_log (team, created_at);
        ALTER TABLE api_keys ADD COLUMN limit_rpm INTEGER;
        ALTER TABLE api_keys ADD COLUMN limit_ipm INTEGER;
        ALTER TABLE api_keys ADD COLUMN limit_daily_micro_usd INTEGER;
        ALTER TABLE api_keys ADD COLUMN limit_monthly_micro_usd INTEGER;
        CREATE TABLE usage_windows (
            key_id TEXT NOT NULL,
            window TEXT NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            images INTEGER NOT NULL DEFAULT 0,
            spend_micro_usd INTEGER NOT NULL DEFAULT 0,
            expires_at REAL NOT NULL,
            PRIMARY KEY (key_id, window)
        );
        CREATE INDEX usage_windows_expiry ON usage_windows (expires_at);
        CREATE TABLE cache_entries (
            key TEXT PRIMARY KEY,
            team TEXT,
            provider TEXT NOT NULL,
            model TEXT,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            last_used_at REAL NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            size_bytes INTEGER NOT NULL,
            entry TEXT NOT NULL
        );
        CREATE INDEX cache_entries_lru ON cache_entries (last_used_at);
        CREATE INDEX cache_entries_expiry ON cache_entries (expires_at);
        """,
    ),
)


def connect(path: str) -> sqlite3.Connection:
    """Open a legacy store with the pragmas the old code set on every connection."""
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=path.startswith("file:"),
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed, or rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def prepare(data_dir: str, path: str) -> None:
    """Create the data directory (0700) and the database (0600), then migrate."""
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = connect(path)
    try:
        migrate(conn)
    finally:
        conn.close()


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations, each in its own immediate transaction; return the version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    for version, sql in MIGRATIONS:
        with immediate(conn):
            done = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
            ).fetchone()
            if not done:
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (version, time.time()),
                )
    return MIGRATIONS[-1][0]
