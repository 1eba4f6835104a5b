"""The request log's SQL: one batch of request and attempt rows per transaction, and reads.

:func:`write_batch` is what the writer thread of :mod:`gateway.request_log` calls once per
batch; :func:`query` is what ``gateway logs`` and the tests read. Both work on SQLite and
PostgreSQL.

The two ``INSERT`` statements are SQLAlchemy Core's, compiled once per dialect, and a
batch goes straight to the driver's ``executemany`` (a pipeline on psycopg 3): row dicts
for psycopg's ``%(name)s``, tuples (one ``itemgetter`` per row) for SQLite's ``?``.
Through ``connection.execute(table.insert(), rows)`` SQLAlchemy would rebuild every
row's parameters in Python (``construct_params``): a batch of 256 rows and their
attempts cost 6.1 ms of CPU on SQLite instead of 4.1 ms (the old raw ``sqlite3`` writer:
3.5 ms), all of it holding the GIL that the request threads need. No column here has
a bind processor, so the values reach the driver as they would through ``execute``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from .database import Database
from .tables import request_attempts, request_log

#: The columns a request row may set, in table order (``id`` is the store's).
COLUMNS: tuple[str, ...] = tuple(c.name for c in request_log.columns if c.name != "id")
ATTEMPT_COLUMNS: tuple[str, ...] = tuple(c.name for c in request_attempts.columns if c.name != "id")
_NUL = "\x00"
# (dialect, table) -> its compiled INSERT, and the getter of its positional parameters
_SQL: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]] | None]] = {}


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
    for table, columns, values in (
        (request_log, COLUMNS, rows),
        (request_attempts, ATTEMPT_COLUMNS, attempts),
    ):
        if values:
            sql, order = _insert_sql(connection, table, columns)
            batch = list(values) if order is None else list(map(order, values))
            connection.exec_driver_sql(sql, batch)


def _insert_sql(
    connection: Connection, table: Table, columns: tuple[str, ...]
) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]] | None]:
    """``table``'s Core INSERT of ``columns``, compiled once per dialect, and for a
    positional paramstyle (SQLite's ``?``) the getter that turns a row dict into the
    tuple it takes (None: the driver reads the dict by name, as psycopg's ``%(name)s``)."""
    key = (connection.dialect.name, table.name)
    found = _SQL.get(key)
    if found is None:
        compiled = table.insert().compile(
            dialect=connection.dialect, column_keys=list(columns), for_executemany=True
        )
        order = compiled.positiontup
        getter = operator.itemgetter(*order) if compiled.positional and order else None
        found = _SQL[key] = (str(compiled), getter)
    return found


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
