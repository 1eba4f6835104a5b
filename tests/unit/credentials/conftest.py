"""Stores and boxes for the credential tests; the contract tests run on every store:
the database store on SQLite and on PostgreSQL, and the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.credentials import MemoryKeyStore, SecretBox
from gateway.settings import Settings
from gateway.store.database import Database
from gateway.store.key_store import DatabaseKeyStore
from tests.factories import MASTER_KEY_1
from tests.store_servers import fresh_database, postgres_url


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.from_keys([MASTER_KEY_1])


@pytest.fixture(scope="session")
def postgres_server() -> str:
    # Session scope: resolved before the autouse fixture that scrubs GATEWAY_* variables.
    return postgres_url()


def migrated(data_dir: str, url: str | None = None) -> Database:
    database = Database.from_settings(Settings(data_dir=data_dir, database_url=url))
    database.migrate()
    return database


@pytest.fixture
def sqlite_database(tmp_path: Any) -> Iterator[Database]:
    database = migrated(str(tmp_path / "data"))
    yield database
    database.dispose()


@pytest.fixture
def postgresql_database(tmp_path: Any, postgres_server: str) -> Iterator[Database]:
    with fresh_database(postgres_server) as url:
        database = migrated(str(tmp_path / "data"), url)
        yield database
        database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    """A migrated, empty store on each engine."""
    return request.getfixturevalue(f"{request.param}_database")  # type: ignore[no-any-return]


@pytest.fixture
def sqlite_store(sqlite_database: Database, box: SecretBox) -> DatabaseKeyStore:
    return DatabaseKeyStore(sqlite_database, box)


@pytest.fixture
def db_store(database: Database, box: SecretBox) -> DatabaseKeyStore:
    """The database store on SQLite, then on PostgreSQL."""
    return DatabaseKeyStore(database, box)


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def store(request: pytest.FixtureRequest, box: SecretBox) -> Any:
    if request.param == "memory":
        return MemoryKeyStore()
    return DatabaseKeyStore(request.getfixturevalue(f"{request.param}_database"), box)
