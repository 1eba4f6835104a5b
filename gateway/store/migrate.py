"""Bring a database to the head revision with Alembic, without an ``alembic.ini``.

Three kinds of database arrive here:

- empty: every revision runs, from ``0001``;
- already under Alembic (an ``alembic_version`` table): the pending revisions run;
- a SQLite store made by the old migrations (``legacy.py``; a ``schema_migrations`` table
  and no ``alembic_version``): it is *adopted*. Revision ``0001`` is that schema at legacy
  version :data:`LEGACY_HEAD`, so the store is stamped ``0001`` (its rows stay where they
  are) and the later revisions run.

A legacy store at an older version is first brought to :data:`LEGACY_HEAD` by the old
``legacy.migrate`` itself, then stamped. Refusing it instead would send the operator
looking for a previous release to run its migrations, a manual step that fails exactly
where nobody is watching (a box upgraded after a long time); the old migrations are the
code that made those stores, kept verbatim and frozen in ``legacy.py``, each tested
upgrading in place (tests/unit/store/test_legacy.py), and they apply one version per
transaction, so running them is safe to repeat. A legacy store *newer* than
:data:`LEGACY_HEAD` (an old-style migration that never got its Alembic revision) is
refused: stamping it would hide the difference.

The whole decision and the migrations run in one transaction that holds a lock
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so workers or
machines starting together migrate once and the others wait, then find nothing to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, make_url, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

from .engine import IMMEDIATE, create_engine_for, is_sqlite, normalise
from .migrations import COMPARE
from .tables import metadata

SCRIPT_LOCATION = str(Path(__file__).resolve().with_name("migrations"))
#: The last version of legacy.py's MIGRATIONS; revision ADOPTED is that schema.
LEGACY_HEAD = 4
ADOPTED = "0001"
LEGACY_TABLE = "schema_migrations"
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key: "gateway" in ASCII, shared by every gateway on the server.
_PG_LOCK = 0x67617465776179
_PG_LOCK_SQL = text("SELECT pg_advisory_xact_lock(:key)")
_VERSION_SQL = text("SELECT version_num FROM alembic_version")
_LEGACY_VERSION_SQL = text("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")


class MigrationError(RuntimeError):
    """The database cannot be brought to the head revision safely; nothing was changed."""


def config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts (the ``alembic`` CLI's, in code)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # configparser interpolates "%": a percent-encoded password must survive it.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision the package ships."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config("sqlite://")).get_current_head()
    if revision is None:
        raise MigrationError(f"no migration scripts in {SCRIPT_LOCATION}")
    return revision


def current(url: str, *, data_dir: str | None = None) -> str | None:
    """The database's revision; ``None`` when it is not under Alembic (empty or legacy)."""
    url = normalise(url, data_dir or os.getcwd())
    if is_sqlite(url) and not os.path.exists(make_url(url).database or ""):
        return None  # do not create the file just to look
    engine = create_engine_for(url, data_dir=data_dir, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            return _revision(connection)
    finally:
        engine.dispose()


def upgrade(url: str, *, data_dir: str | None = None, revision: str = "head") -> str | None:
    """Bring the database at ``url`` to ``revision``; return the revision it is at."""
    engine = create_engine_for(url, data_dir=data_dir, pool_size=1, max_overflow=0)
    try:
        if revision == "head":
            with engine.connect() as connection:
                at = _revision(connection)
            if at is not None and at == shipped_head():
                return at  # every start of an up-to-date store: Alembic is not even imported
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        if engine.dialect.name == "sqlite":
            _legacy_to_head(engine)
        with engine.connect() as connection:
            connection.execution_options(**IMMEDIATE)
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(_PG_LOCK_SQL, {"key": _PG_LOCK})
                cfg = config(url, connection)
                if _must_adopt(connection):
                    _check_adoptable(connection)
                    command.stamp(cfg, ADOPTED)
                command.upgrade(cfg, revision)
                return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def shipped_head() -> str:
    """The newest revision in ``migrations/versions``, read from the file names
    (``NNNN_slug.py``, the ``file_template`` above) without importing Alembic: Alembic and
    its autogenerate machinery cost about 10 MiB of RSS in every gunicorn process, and an
    up-to-date store needs none of it. ``tests/unit/store`` checks that it equals
    Alembic's own :func:`head`."""
    names = [p.name for p in Path(SCRIPT_LOCATION, "versions").glob("[0-9]*_*.py")]
    if not names:
        raise MigrationError(f"no migration scripts in {SCRIPT_LOCATION}")
    return max(names).split("_", 1)[0]


def _revision(connection: Connection) -> str | None:
    """The revision in ``alembic_version``; None when the table is missing or empty."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    try:
        return connection.execute(_VERSION_SQL).scalar()
    except SQLAlchemyError:
        return None


def _legacy_version(connection: Connection) -> int | None:
    """The old migrations' version when the store is legacy only, else ``None``."""
    names = set(inspect(connection).get_table_names())
    if LEGACY_TABLE not in names or VERSION_TABLE in names:
        return None
    # An empty table: the old migrate() died before its first version; 0 redoes them all.
    return connection.scalar(_LEGACY_VERSION_SQL)


def _legacy_to_head(engine: Engine) -> None:
    """Run the old migrations on a legacy store below :data:`LEGACY_HEAD` (see the module)."""
    with engine.connect() as connection:
        version = _legacy_version(connection)
    if version is None or version >= LEGACY_HEAD:
        return
    from . import legacy  # the old store; imported only for stores it made

    conn = legacy.connect(engine.url.database or "")
    try:
        legacy.migrate(conn)
    finally:
        conn.close()


def _must_adopt(connection: Connection) -> bool:
    """Whether to stamp :data:`ADOPTED` instead of creating; refuse what cannot be adopted."""
    version = _legacy_version(connection)
    if version == LEGACY_HEAD:
        return True
    if version is not None:
        raise MigrationError(
            f"the store's old-style schema is at version {version}, but revision {ADOPTED} "
            f"adopts version {LEGACY_HEAD} only; "
            + (
                "it needs an Alembic revision for each newer old-style migration"
                if version > LEGACY_HEAD
                else "run the previous release's 'gateway init-db' on it first"
            )
        )
    names = set(inspect(connection).get_table_names())
    found = sorted(names & set(metadata.tables))
    if VERSION_TABLE not in names and found:
        raise MigrationError(
            f"tables {', '.join(found)} exist without a migration history "
            f"({VERSION_TABLE} or {LEGACY_TABLE}); refusing to guess their schema"
        )
    return False


def _check_adoptable(connection: Connection) -> None:
    """Refuse to stamp a legacy store whose schema is not revision :data:`ADOPTED`'s.

    One difference is inherent and allowed: the old ``id TEXT PRIMARY KEY`` columns are
    nullable in SQLite's eyes (an SQLite quirk; ``INTEGER PRIMARY KEY`` ones alias the
    rowid and cannot hold NULL), where the metadata says NOT NULL. The gateway never
    writes a NULL key, and rebuilding those tables to change it is not worth a copy of
    the request log.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts=COMPARE)
    diffs = _flatten(compare_metadata(context, metadata))
    other = [d for d in diffs if not _pk_nullable(d) and not _later_table(d)]
    if other:
        raise MigrationError(
            f"the store's old-style schema differs from revision {ADOPTED}: {other!r}"
        )


def _flatten(diffs: list[Any]) -> list[tuple[Any, ...]]:
    # compare_metadata nests a column's "modify_*" changes in a list of their own.
    return [d for diff in diffs for d in (diff if isinstance(diff, list) else [diff])]


#: The tables revision ADOPTED builds (the old migrations' schema); later revisions' are
#: created after the stamp, so a legacy store lacking them is as expected.
ADOPTED_TABLES = frozenset(
    {
        "api_keys",
        "cache_entries",
        "configs",
        "request_attempts",
        "request_log",
        "usage_windows",
        "virtual_keys",
    }
)


#: Columns that revisions after :data:`ADOPTED` add to its tables: (table, column).
LATER_COLUMNS = frozenset({("request_log", "operation"), ("request_log", "uploads")})


def _later_table(diff: tuple[Any, ...]) -> bool:
    """A table (or its index, or a column) that a revision after :data:`ADOPTED` adds."""
    if diff[0] == "add_column":
        return (diff[2], diff[3].name) in LATER_COLUMNS
    if diff[0] == "add_table":
        return diff[1].name not in ADOPTED_TABLES
    if diff[0] == "add_index":
        return diff[1].table.name not in ADOPTED_TABLES
    return False


def _pk_nullable(diff: tuple[Any, ...]) -> bool:
    if diff[0] != "modify_nullable":
        return False
    _, _, table, column, _, was_nullable, nullable = diff
    return bool(metadata.tables[table].c[column].primary_key and was_nullable and not nullable)
