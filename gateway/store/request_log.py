"""The request log's SQL: one batch of request and attempt rows per transaction, and reads.

:func:`write_batch` is what the writer thread of :mod:`gateway.request_log` calls once per
batch; :func:`query` is what ``gateway logs`` and the tests read. Both work on SQLite and
PostgreSQL. The two ``INSERT`` statements are built once, here: SQLAlchemy compiles each
once per engine (its compiled cache is keyed on the statement and on the parameter
names, which are always every column), and a list of rows goes to the driver's
``executemany`` (a pipeline on psycopg 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from .database import Database
from .tables import request_attempts, request_log

#: The columns a request row may set, in table order (``id`` is the store's).
COLUMNS: tuple[str, ...] = tuple(c.name for c in request_log.columns if c.name != "id")
ATTEMPT_COLUMNS: tuple[str, ...] = tuple(c.name for c in request_attempts.columns if c.name != "id")
_INSERT = request_log.insert()
_INSERT_ATTEMPT = request_attempts.insert()
_NUL = "\x00"


def row_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """A request row with every column (a missing one is NULL), as :func:`insert` takes it."""
    return {c: values.get(c) for c in COLUMNS}


def attempt_of(values: Mapping[str, Any]) -> dict[str, Any]:
    return {c: values.get(c) for c in ATTEMPT_COLUMNS}


def insert(
    connection: Connection,
    rows: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]] = (),
) -> None:
    """Insert ``rows`` (from :func:`row_of`) and ``attempts`` (from :func:`attempt_of`) in
    the caller's transaction."""
    if connection.dialect.name == "postgresql":
        # PostgreSQL's text cannot hold NUL, which a JSON prompt or model may carry
        # ("\\u0000"); SQLite can. One such row would otherwise fail its whole batch.
        rows = [_without_nul(row) for row in rows]
        attempts = [_without_nul(a) for a in attempts]
    if rows:
        connection.execute(_INSERT, list(rows))
    if attempts:
        connection.execute(_INSERT_ATTEMPT, list(attempts))


def _without_nul(row: dict[str, Any]) -> dict[str, Any]:
    for value in row.values():
        if isinstance(value, str) and _NUL in value:
            return {
                k: v.replace(_NUL, "\ufffd") if isinstance(v, str) else v for k, v in row.items()
            }
    return row


def write_batch(
    database: Database,
    rows: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]] = (),
) -> None:
    """Insert a batch in one short write transaction: all of it, or nothing."""
    with database.write() as connection:
        insert(connection, rows, attempts)


def status_filter(status: str) -> tuple[int, int]:
    """``"200"`` -> (200, 200); a class such as ``"4xx"`` -> (400, 499)."""
    if len(status) == 3 and status[0].isdigit() and status[1:].lower() == "xx":
        low = int(status[0]) * 100
        return low, low + 99
    return int(status), int(status)


def query(
    database: Database,
    *,
    trace_id: str | None = None,
    status: str | None = None,
    since: float | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Recent rows, newest first. ``status`` is ``200`` or a class such as ``4xx``."""
    c = request_log.c
    statement = select(request_log)
    if trace_id:
        statement = statement.where(c.trace_id == trace_id)
    if status:
        low, high = status_filter(status)
        statement = statement.where(c.status == low if low == high else c.status.between(low, high))
    if since is not None:
        statement = statement.where(c.created_at >= since)
    statement = statement.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    with database.read() as connection:
        return [dict(row) for row in connection.execute(statement).mappings()]


def attempts_of(database: Database, request_id: str) -> list[dict[str, Any]]:
    """The upstream attempts of one request, in order."""
    c = request_attempts.c
    statement = select(request_attempts).where(c.request_id == request_id).order_by(c.seq)
    with database.read() as connection:
        return [dict(row) for row in connection.execute(statement).mappings()]
