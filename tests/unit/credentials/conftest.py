"""Stores and boxes for the credential tests; the contract tests run on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.credentials import MemoryKeyStore, SecretBox, SQLiteKeyStore
from gateway.db import prepare
from tests.factories import MASTER_KEY_1


@pytest.fixture
def box() -> SecretBox:
    return SecretBox.from_keys([MASTER_KEY_1])


@pytest.fixture
def sqlite_store(tmp_path: Any, box: SecretBox) -> Iterator[SQLiteKeyStore]:
    data = tmp_path / "data"
    prepare(str(data), str(data / "gateway.db"))
    store = SQLiteKeyStore(str(data / "gateway.db"), box)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, sqlite_store: SQLiteKeyStore) -> Any:
    return sqlite_store if request.param == "sqlite" else MemoryKeyStore()
