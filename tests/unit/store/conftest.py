"""Databases for the store tests: a SQLite file, a fresh PostgreSQL database, a legacy store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.store import legacy
from gateway.store.engine import database_url
from tests.store_servers import fresh_database, postgres_url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    # Session scope: resolved before the autouse fixture that scrubs GATEWAY_* variables.
    return postgres_url()


@pytest.fixture
def postgres_db(postgres_server: str) -> Iterator[str]:
    """A plain ``postgresql://`` URL (as a user would write it) of an empty database."""
    with fresh_database(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_db(tmp_path: Any) -> str:
    """The default store's URL (``<data dir>/gateway.db``); the file does not exist yet."""
    return database_url({"GATEWAY_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> str:
    """An empty database on each engine."""
    fixture = "sqlite_db" if request.param == "sqlite" else "postgres_db"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def legacy_path(tmp_path: Any) -> str:
    """A store made the old way (gateway/store/legacy.py ``prepare``: every MIGRATIONS version)."""
    data = tmp_path / "legacy"
    path = str(data / "gateway.db")
    legacy.prepare(str(data), path)
    return path
