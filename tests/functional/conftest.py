"""Flask test client against mocked upstream HTTP (``responses``): nothing leaves the process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from gateway import create_app
from tests.factories import settings


@pytest.fixture
def make_app(tmp_path: Any) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(settings(tmp_path, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["gateway"].request_log.flush()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def log_rows(app: Flask) -> list[dict[str, Any]]:
    from gateway.request_log import query

    state = app.extensions["gateway"]
    assert state.request_log.flush(5.0)
    return query(state.database, limit=1000)


@pytest.fixture
def data_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh GATEWAY_DATA_DIR for CLI commands (they read settings from the environment)."""
    path = tmp_path / "data"
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(path))
    return path


def stored_bytes(data_dir: Any) -> bytes:
    """Every byte the store keeps on disk: the database, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("gateway.db*")))
