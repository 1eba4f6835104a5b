"""Does the store answer? ``/readyz`` asks, and the CLI's read commands check first.

:func:`ping` runs ``SELECT 1`` through the pool and returns ``None`` or a short reason
fit for an unauthenticated client (``"PostgreSQL: connection refused"``): no host, no
user, no password, no stack trace. The full cause (which server, the driver's first
line, still without a password) goes to the error log, once per change, so that a load
balancer probing every second does not flood it.
"""

from __future__ import annotations

import logging
import os
import re
import threading

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .database import Database

log = logging.getLogger("gateway.store")

_SELECT_1 = text("SELECT 1")
# The driver's words (libpq, sqlite3) for the causes an operator acts on, first match wins.
_CAUSES = (
    ("connection refused", "connection refused"),
    ("timeout expired", "connection timed out"),
    ("timed out", "connection timed out"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("authentication failed", "authentication failed"),
    ("no password supplied", "authentication failed"),
    ("does not exist", "database or role does not exist"),
    ("starting up", "server starting up"),
    ("shutting down", "server shutting down"),
    ("too many clients", "too many connections"),
    ("terminating connection", "connection terminated by the server"),
    ("server closed the connection", "connection closed by the server"),
    ("database is locked", "database is locked"),
    ("unable to open database", "cannot open the database file"),
    ("disk i/o error", "disk I/O error"),
)
_logged: dict[str, str] = {}  # safe URL -> the detail last logged for it
_logged_lock = threading.Lock()


def reason(exc: BaseException) -> str:
    """``Class: first line`` of a driver error, without a password, at most 200 chars."""
    cause = getattr(exc, "orig", None) or exc
    line = (str(cause).strip().splitlines() or [""])[0].strip()
    line = re.sub(r"://[^@/\s]*@", "://***@", line)[:200]
    return f"{type(cause).__name__}: {line}" if line else type(cause).__name__


def cause(exc: BaseException) -> str:
    """A few words for ``exc`` that name no host or user: ``connection refused``."""
    if isinstance(exc, PoolTimeout):
        return "no free connection in the pool"
    words = str(getattr(exc, "orig", None) or exc).lower()
    for needle, short in _CAUSES:
        if needle in words:
            return short
    return type(getattr(exc, "orig", None) or exc).__name__


def where(database: Database) -> str:
    """``PostgreSQL at host:port/db`` or ``SQLite at path``: no user, no password."""
    if database.sqlite_path is not None:
        return f"SQLite at {database.sqlite_path}"
    url = make_url(database.url)
    port = f":{url.port}" if url.port else ""
    return f"PostgreSQL at {url.host or 'localhost'}{port}/{url.database}"


def missing_file(database: Database) -> str | None:
    """On SQLite, a missing store file (opening it would create an empty store); None on
    PostgreSQL or when the file is there."""
    path = database.sqlite_path
    if path is None or os.path.isfile(path):
        return None
    return f"no SQLite store at {path}"


def ping(database: Database) -> str | None:
    """``SELECT 1`` through the pool: None when the store answers, else a short reason
    that names no host (``"PostgreSQL: connection refused"``); the detail is logged."""
    engine = "SQLite" if database.is_sqlite else "PostgreSQL"
    missing = missing_file(database)
    if missing is not None:
        _log_change(database, missing)
        return f"{engine}: the store file is missing"
    try:
        with database.read() as connection:
            connection.execute(_SELECT_1).scalar()
    except (SQLAlchemyError, OSError) as exc:
        _log_change(database, f"{where(database)} does not answer: {reason(exc)}")
        return f"{engine}: {cause(exc)}"
    _log_change(database, None)
    return None


def _log_change(database: Database, detail: str | None) -> None:
    key = database.safe_url
    with _logged_lock:
        before = _logged.get(key)
        if detail == before:
            return
        if detail is None:
            del _logged[key]
        else:
            _logged[key] = detail
    if detail is not None:
        log.error("store: %s", detail)
    else:
        log.warning("store: %s answers again", where(database))
