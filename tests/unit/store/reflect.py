"""A database's schema as plain, comparable data (via ``sqlalchemy.inspect``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect

from gateway.store.engine import normalise

BOOKKEEPING = {"alembic_version", "schema_migrations"}


def schema_of(url: str) -> dict[str, dict[str, Any]]:
    """Per table: columns in order (name, declared type, nullable, default), primary key,
    unique column sets and indexes (name, columns, unique). Bookkeeping tables are left out."""
    engine = create_engine(normalise(url, "/"))
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return {
                table: _table(inspector, table)
                for table in sorted(inspector.get_table_names())
                if table not in BOOKKEEPING
            }
    finally:
        engine.dispose()


def _table(inspector: Any, table: str) -> dict[str, Any]:
    return {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], c["default"])
            for c in inspector.get_columns(table)
        ],
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table)
            # PostgreSQL also lists the index behind each UNIQUE constraint.
            if not i.get("duplicates_constraint")
        ),
    }


def table_names(url: str) -> list[str]:
    engine = create_engine(normalise(url, "/"))
    try:
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()
