"""The database engine that ``GATEWAY_DATABASE_URL`` names: SQLite (default) or PostgreSQL.

Unset, the store is ``<data dir>/gateway.db``, as before. ``postgresql://`` (or
``postgres://``) URLs are served by psycopg 3 (``postgresql+psycopg``), whose binary
wheel ships its own libpq.

An engine owns a connection pool, and a pool must never cross a ``fork()``: gunicorn
builds the app in the master (``preload_app``) and forks its workers, and two processes
sharing one PostgreSQL socket interleave their protocol messages, while a SQLite handle
used across a fork can corrupt the database (sqlite.org/howtocorrupt.html, 2.6). So
engines are created inside the worker, on first use: :class:`WorkerEngine` does that per
process, and :func:`after_fork` is the hook for a process that inherited an engine anyway.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV = "GATEWAY_DATABASE_URL"
SQLITE_FILE = "gateway.db"
# The pragmas of legacy.py connect(); they hold per connection, so every new one runs them.
BUSY_TIMEOUT_MS = 10_000
# journal_mode = WAL as well, through _wal(): it is persistent, and setting it is racy.
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    # The old key store's: a replaced or deleted provider ciphertext (a rotated secret, or
    # one under a retired master key) is zeroed, not left in free pages of the file.
    "PRAGMA secure_delete = ON",
)
# Execution option for a write transaction on SQLite: BEGIN IMMEDIATE takes the write lock
# first, so the busy timeout applies, instead of failing when a read turns into a write.
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}
_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg"}


class HasDataDir(Protocol):
    """What :func:`database_url` needs of :class:`gateway.settings.Settings`."""

    data_dir: str


class DatabaseURLError(ValueError):
    """``GATEWAY_DATABASE_URL`` is malformed; the message never holds the URL (a password)."""


def database_url(source: HasDataDir | Mapping[str, str]) -> str:
    """The SQLAlchemy URL of the store, from settings or from an environment mapping.

    Unset or empty: the SQLite file in the data directory. A ``sqlite:///`` path is made
    absolute against the data directory. Any other scheme is a :class:`DatabaseURLError`.
    """
    if isinstance(source, Mapping):
        raw = source.get(ENV, "")
        data_dir = os.path.abspath(source.get("GATEWAY_DATA_DIR") or "data")
    else:
        # Settings gains ``database_url`` (parsed there, like every variable) when the
        # store is wired into the app; until then only the SQLite default applies.
        raw = getattr(source, "database_url", None) or ""
        data_dir = source.data_dir
    if not raw.strip():
        return _render(URL.create("sqlite", database=os.path.join(data_dir, SQLITE_FILE)))
    return normalise(raw.strip(), data_dir)


def normalise(raw: str, data_dir: str) -> str:
    """Map a user's URL onto the drivers the gateway ships with."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseURLError(f"{ENV}: not a URL (postgresql://... or sqlite:///...)") from None
    if url.drivername in _POSTGRES_SCHEMES:
        if not url.database:
            raise DatabaseURLError(f"{ENV}: a PostgreSQL URL must name its database")
        return _render(url.set(drivername="postgresql+psycopg"))
    if url.drivername in {"sqlite", "sqlite+pysqlite"}:
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            # Each pooled connection would get its own empty in-memory database.
            raise DatabaseURLError(f"{ENV}: a SQLite URL must name a file")
        path = os.path.join(data_dir, os.path.expanduser(url.database))
        return _render(url.set(drivername="sqlite", database=os.path.abspath(path)))
    scheme = url.drivername
    raise DatabaseURLError(f"{ENV}: unsupported scheme {scheme!r}; use postgresql or sqlite")


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine_for(
    url: str,
    *,
    data_dir: str | None = None,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 10.0,
    pool_recycle: int = 1800,
    connect_timeout: int = 5,
) -> Engine:
    """A new engine for ``url``; call it in the process that will use it (see the module).

    SQLite: the file's directory is created 0700 and the file 0600 first (as
    ``legacy.prepare`` does), relative paths resolve against ``data_dir``, and
    every connection gets :data:`SQLITE_PRAGMAS`. PostgreSQL: a ``QueuePool`` sized for one
    worker, whose threads hold a connection only for a short transaction; ``pool_pre_ping``
    replaces connections the server or a proxy closed while idle.
    """
    parsed = make_url(normalise(url, data_dir or os.getcwd()))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, pool_size, max_overflow, pool_timeout)
    return create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=True,
        connect_args={"connect_timeout": connect_timeout, "application_name": "image-gateway"},
    )


def _sqlite_engine(url: URL, pool_size: int, max_overflow: int, pool_timeout: float) -> Engine:
    path = url.database or ""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 would otherwise open transactions itself, and not before DDL;
    # SQLAlchemy's "begin" event below emits BEGIN instead, so DDL is transactional
    # (the recipe in SQLAlchemy's SQLite dialect documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        _wal(cursor)
    finally:
        cursor.close()


def _wal(cursor: Any) -> None:
    """Switch a new file to WAL, waiting for the other connections as the busy timeout would.

    The switch needs the file to itself and SQLite does not call the busy handler for it:
    workers opening a brand-new file together got "database is locked" at once. A file
    already in WAL (every file after its first connection) costs one read.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked: cannot switch it to WAL")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            time.sleep(0.01)


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:
        raise ValueError(f"sqlite_begin: {mode!r}")
    connection.exec_driver_sql(f"BEGIN {mode}")


def after_fork(engine: Engine) -> None:
    """Drop, without closing, the connections a forked child inherited from its parent.

    ``close=False`` leaves the parent's sockets and handles alone (closing them from the
    child would end the parent's sessions); the child opens its own on next use.
    """
    engine.dispose(close=False)


class WorkerEngine:
    """One engine per process, created on first use and again after a fork.

    The app holds one of these (built before the fork, connecting nowhere) and asks
    :meth:`get` for the engine in each request; gunicorn's ``worker_exit`` calls
    :meth:`dispose`.
    """

    def __init__(self, url: str, *, data_dir: str | None = None, **pool: Any) -> None:
        self.url = url
        self._data_dir = data_dir
        self._pool = pool
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._pid: int | None = None

    def get(self) -> Engine:
        """This process's engine, created if need be."""
        pid = os.getpid()
        engine = self._engine
        if engine is not None and self._pid == pid:
            return engine
        with self._lock:
            if self._engine is not None and self._pid != pid:
                after_fork(self._engine)
                self._engine = None
            if self._engine is None:
                self._engine = create_engine_for(self.url, data_dir=self._data_dir, **self._pool)
                self._pid = pid
            return self._engine

    def dispose(self) -> None:
        """Close this process's pooled connections (worker exit, CLI, tests)."""
        with self._lock:
            if self._engine is not None and self._pid == os.getpid():
                self._engine.dispose()
            self._engine = None
            self._pid = None
