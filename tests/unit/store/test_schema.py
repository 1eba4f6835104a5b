"""One schema: revision 0001 builds what gateway/store/legacy.py built, and matches tables.py."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text

from gateway.store import legacy, migrate
from gateway.store.engine import create_engine_for
from gateway.store.migrations import COMPARE
from gateway.store.tables import metadata, request_log, usage_windows
from tests.unit.store.reflect import schema_of, table_names

TABLES = [
    "api_keys",
    "cache_entries",
    "configs",
    "request_attempts",
    "request_log",
    "usage_windows",
    "virtual_keys",
]
INDEXES = [
    "api_keys_name",
    "cache_entries_expiry",
    "cache_entries_lru",
    "request_attempts_request",
    "request_attempts_time",
    "request_log_status",
    "request_log_team_time",
    "request_log_time",
    "request_log_trace",
    "usage_windows_expiry",
]
# Revision 0002: the blobs every instance serves and the secrets they share.
TABLES_0002 = sorted([*TABLES, "blobs", "secrets"])
# Declared "id TEXT PRIMARY KEY" (or INTEGER) in legacy.py: SQLite reports them nullable.
LEGACY_NULLABLE_KEYS = [
    ("api_keys", "id"),
    ("cache_entries", "key"),
    ("request_attempts", "id"),
    ("request_log", "id"),
    ("virtual_keys", "id"),
]


def _nullable_keys_made_not_null(schema):
    """Record and undo SQLite's nullable primary keys of the legacy store."""
    flipped = []
    for name, table in schema.items():
        for i, (column, type_, nullable, default) in enumerate(table["columns"]):
            if nullable and column in table["primary_key"]:
                flipped.append((name, column))
                table["columns"][i] = (column, type_, False, default)
    return flipped


def test_revision_0001_on_sqlite_builds_the_old_schema(sqlite_db, legacy_path):
    migrate.upgrade(sqlite_db, revision="0001")
    new, old = schema_of(sqlite_db), schema_of(f"sqlite:///{legacy_path}")
    assert _nullable_keys_made_not_null(old) == LEGACY_NULLABLE_KEYS
    assert list(new) == TABLES
    assert sorted(i[0] for t in new.values() for i in t["indexes"]) == INDEXES
    for name in TABLES:
        assert new[name] == old[name], name
    assert new["usage_windows"]["columns"][2:5] == [
        ("requests", "INTEGER", False, "0"),
        ("images", "INTEGER", False, "0"),
        ("spend_micro_usd", "INTEGER", False, "0"),
    ]
    assert new["api_keys"]["unique"] == [("digest",)]
    assert new["virtual_keys"]["unique"] == [("name",)]
    assert new["configs"]["primary_key"] == ["name", "version"]


def test_sqlite_row_ids_still_alias_the_rowid(sqlite_db):
    migrate.upgrade(sqlite_db)
    engine = create_engine_for(sqlite_db)
    row = {"created_at": 1.0, "request_id": "r", "trace_id": "t", "status": 200, "latency_ms": 1}
    with engine.begin() as connection:
        first = connection.execute(insert(request_log).values(**row)).inserted_primary_key
        second = connection.execute(insert(request_log).values(**row)).inserted_primary_key
        ids = connection.execute(text("SELECT id, rowid FROM request_log ORDER BY id")).all()
    engine.dispose()
    assert (first[0], second[0]) == (1, 2)
    assert ids == [(1, 1), (2, 2)]


def test_metadata_and_migrations_agree(any_db):
    """Autogenerate finds nothing to do: tables.py and versions/ describe one schema."""
    migrate.upgrade(any_db)
    engine = create_engine_for(any_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=COMPARE)
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_postgres_gets_64_bit_keys_money_and_double_timestamps(postgres_db):
    migrate.upgrade(postgres_db)
    engine = create_engine_for(postgres_db)
    with engine.begin() as connection:
        inspector = inspect(connection)
        types = {c["name"]: str(c["type"]) for c in inspector.get_columns("request_log")}
        unique = [
            (u["name"], u["column_names"]) for u in inspector.get_unique_constraints("api_keys")
        ]
        connection.execute(
            insert(usage_windows).values(key_id="k", window="2026-12", expires_at=1.5)
        )
        window = connection.execute(select(usage_windows)).one()
        row = {"created_at": 1.5, "request_id": "r", "trace_id": "t", "status": 200}
        key = connection.execute(
            insert(request_log).values(**row, latency_ms=2.5, cost_micro_usd=5 * 10**12)
        ).inserted_primary_key[0]
    engine.dispose()
    assert (types["id"], types["cost_micro_usd"], types["bytes_out"]) == ("BIGINT",) * 3
    assert (types["created_at"], types["latency_ms"]) == ("DOUBLE PRECISION",) * 2
    assert (types["n"], types["status"], types["prompt"]) == ("INTEGER", "INTEGER", "TEXT")
    assert unique == [("api_keys_digest_key", ["digest"])]
    assert tuple(window) == ("k", "2026-12", 0, 0, 0, 1.5)
    assert key == 1


def test_revision_0001_on_postgres_has_the_sqlite_names(postgres_db, sqlite_db):
    migrate.upgrade(postgres_db)
    migrate.upgrade(sqlite_db)
    pg, lite = schema_of(postgres_db), schema_of(sqlite_db)
    assert list(pg) == list(lite) == TABLES_0002
    for name in TABLES_0002:
        assert [c[0] for c in pg[name]["columns"]] == [c[0] for c in lite[name]["columns"]]
        assert [c[2] for c in pg[name]["columns"]] == [c[2] for c in lite[name]["columns"]]
        assert pg[name]["indexes"] == lite[name]["indexes"]
        assert pg[name]["primary_key"] == lite[name]["primary_key"]
        assert pg[name]["unique"] == lite[name]["unique"]


def test_downgrade_to_base_removes_every_table(any_db):
    migrate.upgrade(any_db)
    engine = create_engine_for(any_db)
    with engine.begin() as connection:
        command.downgrade(migrate.config(any_db, connection), "base")
    engine.dispose()
    assert table_names(any_db) == ["alembic_version"]
    assert migrate.current(any_db) is None


def test_the_old_migrations_end_where_revision_0001_starts():
    """A new old-style migration in gateway/store/legacy.py needs its Alembic revision first."""
    assert legacy.MIGRATIONS[-1][0] == migrate.LEGACY_HEAD
    scripts = ScriptDirectory.from_config(migrate.config("sqlite://"))
    assert scripts.get_bases() == [migrate.ADOPTED] == ["0001"]
