"""``gateway db copy``: move the whole store to another database (SQLite -> PostgreSQL).

1. The source must be at the head revision (``gateway migrate``); the target is migrated
   to head, and refused if any table of :data:`tables.metadata` already holds a row.
2. Every table is read in primary-key order, in batches of :data:`BATCH` rows, inside
   one read transaction (a consistent snapshot of the source, even beside a running
   gateway), and written to the target in one transaction: a failed copy leaves the
   target empty, so it can simply be run again.
3. PostgreSQL sequences are moved past the copied ids, so the next request row does not
   collide with a copied one.
4. Every table is compared row by row, in key order, against the same snapshot: the
   same keys, and every column equal, of the same Python type, floats bit for bit.

Keys are compared in code-point order on both engines: PostgreSQL sorts text keys with
``COLLATE "C"`` (its default collation follows the locale), SQLite's ``BINARY`` already
is. Reports name tables, keys and columns, never a value (a prompt, a sealed secret).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import ColumnElement

from . import migrate
from .database import Database, StoreError
from .health import missing_file, reason
from .tables import metadata

BATCH = 1000
#: Mismatched keys a report names (it counts them all).
SHOWN = 5

Echo = Callable[[str], None]


class CopyError(RuntimeError):
    """The copy cannot start or did not complete; the target holds none of its rows."""


@dataclass
class TableReport:
    """What the verification found in one table."""

    table: str
    source_rows: int = 0
    target_rows: int = 0
    missing: int = 0  # keys in the source only
    extra: int = 0  # keys in the target only
    different: int = 0  # same key, another value in some column
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.missing == self.extra == self.different == 0

    def note(self, example: str) -> None:
        if len(self.examples) < SHOWN:
            self.examples.append(example)


#: Not copied: the cache's index (its images are files in the SQLite install's data
#: directory, rows of ``blobs`` on PostgreSQL; the target's cache starts empty and fills
#: again), and the blobs and shared secrets themselves (files on SQLite; the target's
#: secrets are seeded from those files by ``gateway db copy``).
NOT_COPIED = frozenset({"cache_entries", "blobs", "secrets"})


def tables() -> list[Table]:
    """Every copied table of the schema, in a fixed order."""
    return [t for t in metadata.sorted_tables if t.name not in NOT_COPIED]


def copy(source: Database, target: Database, *, echo: Echo = lambda _: None) -> list[TableReport]:
    """Copy ``source`` into the empty ``target``, then verify it; see the module."""
    if source.url == target.url:
        raise CopyError("the source and the target are the same database")
    _check_source(source)
    try:
        target.migrate()
        with _snapshot(source) as snapshot:
            _copy_all(snapshot, target, echo)
            return verify_with(snapshot, target)
    except SQLAlchemyError as exc:
        raise CopyError(f"the copy failed: {reason(exc)}") from None


def verify(source: Database, target: Database) -> list[TableReport]:
    """Compare every table of ``source`` and ``target`` row by row (no copy)."""
    with _snapshot(source) as snapshot:
        return verify_with(snapshot, target)


def verify_with(snapshot: Connection, target: Database) -> list[TableReport]:
    reports = []
    with _snapshot(target) as other:
        for table in tables():
            reports.append(compare(table, _rows(snapshot, table), _rows(other, table)))
    return reports


def _check_source(source: Database) -> None:
    missing = missing_file(source)
    if missing is not None:
        raise CopyError(f"nothing to copy: {missing}")
    try:
        at, head = migrate.current(source.url, data_dir=source.data_dir), migrate.shipped_head()
    except SQLAlchemyError as exc:
        raise CopyError(f"cannot read the source: {reason(exc)}") from None
    if at != head:
        raise CopyError(
            f"the source is at revision {at or 'none'}, not {head}: "
            "run 'gateway migrate' (or start the gateway) on it first"
        )


def _check_empty(connection: Connection) -> None:
    """Refuse a target with rows; in the copy's transaction, after its locks."""
    counts = {t.name: connection.scalar(select(func.count()).select_from(t)) for t in tables()}
    full = [f"{name} ({n} rows)" for name, n in counts.items() if n]
    if full:
        raise CopyError(
            f"the target already holds rows: {', '.join(full)}; "
            "copy only into a database without gateway rows"
        )


@contextmanager
def _snapshot(database: Database) -> Iterator[Connection]:
    """One read transaction on ``database``: REPEATABLE READ on PostgreSQL, a deferred
    transaction (a WAL snapshot from its first read) on SQLite. Rolled back: read only."""
    with database.read() as connection:
        if not database.is_sqlite:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def key_order(table: Table, dialect: str) -> list[ColumnElement[Any]]:
    """The primary key, text columns in code-point order on PostgreSQL too."""
    order: list[ColumnElement[Any]] = []
    for column in table.primary_key.columns:
        text_key = column.type.python_type is str
        order.append(column.collate("C") if text_key and dialect == "postgresql" else column)
    return order


def _rows(connection: Connection, table: Table) -> Iterator[Sequence[Any]]:
    statement = select(table).order_by(*key_order(table, connection.dialect.name))
    result = connection.execution_options(yield_per=BATCH).execute(statement)
    for part in result.partitions():
        yield from part


def _copy_all(snapshot: Connection, target: Database, echo: Echo) -> None:
    with target.write() as connection:  # on SQLite, BEGIN IMMEDIATE: no other writer
        if connection.dialect.name == "postgresql":
            # No gateway may write into the target between the check and the commit.
            quote = connection.dialect.identifier_preparer.quote
            locked = ", ".join(quote(t.name) for t in tables())
            connection.exec_driver_sql(f"LOCK TABLE {locked} IN SHARE ROW EXCLUSIVE MODE")
        _check_empty(connection)
        for table in tables():
            echo(f"{table.name}: {_copy_table(snapshot, connection, table)} rows copied")
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)


def _copy_table(snapshot: Connection, connection: Connection, table: Table) -> int:
    names = [c.name for c in table.columns]
    insert = table.insert()
    copied = 0
    batch: list[dict[str, Any]] = []
    for row in _rows(snapshot, table):
        batch.append(dict(zip(names, row, strict=True)))
        if len(batch) == BATCH:
            copied += _write(connection, table, insert, batch)
            batch = []
    if batch:
        copied += _write(connection, table, insert, batch)
    return copied


def _write(connection: Connection, table: Table, insert: Any, batch: list[dict[str, Any]]) -> int:
    try:
        connection.execute(insert, batch)
    except SQLAlchemyError as exc:
        first = _key_text(table, batch[0])
        raise CopyError(
            f"{table.name}: the target refused the {len(batch)} rows from {first} "
            f"({reason(exc)}); nothing was copied"
        ) from None
    return len(batch)


def _reset_sequences(connection: Connection) -> None:
    """Move each ``id`` sequence past the copied ids (explicit ids do not advance it)."""
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        highest = select(func.max(column)).scalar_subquery()
        connection.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(table.name, column.name),
                    func.coalesce(highest, 0) + 1,
                    False,
                )
            )
        )


def compare(
    table: Table, source: Iterator[Sequence[Any]], target: Iterator[Sequence[Any]]
) -> TableReport:
    """Walk both sides in key order at once: missing, extra and different rows."""
    report = TableReport(table.name)
    names = [c.name for c in table.columns]
    key_at = [names.index(c.name) for c in table.primary_key.columns]
    a, b = next(source, None), next(target, None)
    while a is not None or b is not None:
        ka = _key(a, key_at) if a is not None else None
        kb = _key(b, key_at) if b is not None else None
        if b is None or (ka is not None and kb is not None and ka < kb):
            report.source_rows += 1
            report.missing += 1
            report.note(f"{_describe(names, key_at, a)} missing in the target")
            a = next(source, None)
        elif a is None or (kb is not None and ka is not None and kb < ka):
            report.target_rows += 1
            report.extra += 1
            report.note(f"{_describe(names, key_at, b)} only in the target")
            b = next(target, None)
        else:
            report.source_rows += 1
            report.target_rows += 1
            columns = [n for n, x, y in zip(names, a, b, strict=True) if not same(x, y)]
            if columns:
                report.different += 1
                report.note(f"{_describe(names, key_at, a)} differs in {', '.join(columns)}")
            a, b = next(source, None), next(target, None)
    return report


def same(x: Any, y: Any) -> bool:
    """Equal, of the same type, and floats bit for bit (0.0 is not -0.0, NaN is NaN)."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return x.hex() == y.hex()
    return bool(x == y)


def _key(row: Sequence[Any], key_at: list[int]) -> tuple[Any, ...]:
    # (0,) sorts a NULL key (possible in an adopted SQLite store) before any value.
    return tuple((0, 0) if row[i] is None else (1, row[i]) for i in key_at)


def _describe(names: list[str], key_at: list[int], row: Sequence[Any]) -> str:
    return ", ".join(f"{names[i]}={row[i]!r}" for i in key_at)


def _key_text(table: Table, row: dict[str, Any]) -> str:
    return ", ".join(f"{c.name}={row[c.name]!r}" for c in table.primary_key.columns)


__all__ = ["BATCH", "CopyError", "StoreError", "TableReport", "copy", "verify"]
