"""The app's one handle on the store: which engine, its migrations, its connections.

``create_app`` builds a :class:`Database` from the settings and keeps it in the app's
state; every concern (keys, virtual keys, configs, request log, usage, cache index,
image blobs) takes it as an argument and asks it for a connection. Nothing outside
``gateway/store`` touches an engine, a driver or SQL.

The engine is made in each worker on first use (``WorkerEngine``): a pool must never
cross gunicorn's fork.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from . import migrate
from .engine import IMMEDIATE, WorkerEngine, database_url, is_sqlite

#: What a store that does not answer raises through SQLAlchemy (connection refused or
#: lost, pool exhausted, SQLite busy past its timeout): the app answers them with a 503
#: ``store_unavailable`` (gateway/error_handlers.py); the transaction was rolled back.
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


class StoreError(RuntimeError):
    """The store cannot be reached or migrated; the message names no password."""


class DatabaseSettings(Protocol):
    """What :meth:`Database.from_settings` reads of :class:`gateway.settings.Settings`."""

    data_dir: str
    database_url: str | None
    db_pool_size: int


class Database:
    def __init__(self, url: str, *, data_dir: str, pool_size: int = 5) -> None:
        self.url = url
        self.data_dir = data_dir
        self.is_sqlite = is_sqlite(url)
        # Threads beyond the pool wait up to pool_timeout (10 s) for a connection; the
        # overflow absorbs a burst without holding idle connections afterwards. At most
        # 2 x pool_size per worker process: PostgreSQL's max_connections (100 by default)
        # must hold instances x workers x that (three instances of two workers: 60).
        self._engines = WorkerEngine(
            url, data_dir=data_dir, pool_size=pool_size, max_overflow=pool_size
        )

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        return cls(
            database_url(settings), data_dir=settings.data_dir, pool_size=settings.db_pool_size
        )

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite file of the embedded default (None on PostgreSQL)."""
        return make_url(self.url).database if self.is_sqlite else None

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    def migrate(self) -> str | None:
        """Bring the schema to the head revision (start-up, ``gateway migrate``)."""
        try:
            return migrate.upgrade(self.url, data_dir=self.data_dir)
        except migrate.MigrationError as exc:
            raise StoreError(f"{self.safe_url}: {exc}") from None
        except (SQLAlchemyError, OSError) as exc:
            # The driver's text can quote the URL; the class and the code are enough.
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(
                f"{self.safe_url}: cannot open or migrate the store "
                f"({type(reason).__name__}: {_first_line(reason)})"
            ) from None

    def engine(self) -> Engine:
        return self._engines.get()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A pooled connection for reads; what it leaves open is rolled back."""
        with self.engine().connect() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One short write transaction: committed on exit, rolled back on any exception.
        On SQLite it starts with ``BEGIN IMMEDIATE``, so the busy timeout applies at once
        instead of a read turning into a write that fails."""
        with self.engine().connect() as connection:
            if self.is_sqlite:
                connection = connection.execution_options(**IMMEDIATE)
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        """Close this process's pooled connections (worker exit, CLI, tests)."""
        self._engines.dispose()


def _first_line(exc: BaseException) -> str:
    """The first line of a driver error, with any password-looking URL part cut out."""
    line = (str(exc).strip().splitlines() or [""])[0]
    return re.sub(r"://[^@/\s]*@", "://***@", line)[:200]
