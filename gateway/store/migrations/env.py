"""Alembic's environment: the target is :data:`gateway.store.tables.metadata`.

:func:`gateway.store.migrate.upgrade` hands in an open connection, already inside the
transaction it commits (``config.attributes["connection"]``). Without one, as when a
developer writes a revision with ``alembic.command.revision(migrate.config(url),
autogenerate=True, rev_id="0002", message=...)``, an engine is built from the URL.
Offline mode (``sql=True``) prints the DDL for a DBA instead of running it.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from gateway.store.engine import create_engine_for
from gateway.store.migrations import COMPARE
from gateway.store.tables import metadata

OPTIONS: dict[str, Any] = {
    "target_metadata": metadata,
    **COMPARE,
    # SQLite cannot ALTER most things: autogenerate writes batch operations (copy + rename).
    "render_as_batch": True,
    # The SQLite engine emits BEGIN itself (gateway.store.engine), so its DDL is transactional.
    "transactional_ddl": True,
}


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine_for(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
