"""PostgreSQL stops answering under a running gateway: a clear 503, never a 500 or a
trace, and nothing reaches a provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from gateway import create_app
from gateway.credentials import api_keys
from gateway.settings import Settings
from gateway.store.engine import WorkerEngine
from tests.factories import MASTER_KEY_1
from tests.store_servers import fresh_database, postgres_url

DEAD = "postgresql://gw@127.0.0.1:1/gw"


@pytest.fixture(scope="module")
def postgres_server() -> str:
    return postgres_url()


@pytest.fixture
def app_on_postgres(postgres_server: str, tmp_path: Path) -> Iterator:
    with fresh_database(postgres_server) as url:
        settings = Settings(
            data_dir=str(tmp_path / "data"),
            database_url=url,
            master_keys=(MASTER_KEY_1,),
            require_api_key="true",
        )
        app = create_app(settings)
        yield app
        app.extensions["gateway"].database.dispose()


@responses.activate
def test_a_request_while_postgresql_is_down_is_a_503_store_unavailable(app_on_postgres, caplog):
    database = app_on_postgres.extensions["gateway"].database
    database.dispose()
    database._engines = WorkerEngine(DEAD, connect_timeout=1)  # the server went away
    response = app_on_postgres.test_client().post(
        "/v1/images/generations",
        json={"model": "dall-e-2", "prompt": "a cat"},
        headers={"x-portkey-api-key": api_keys.generate()},  # well-formed: looked up
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json == {
        "error": {
            "message": "The gateway's database does not answer; retry shortly.",
            "type": "server_error",
            "param": None,
            "code": "store_unavailable",
        }
    }
    assert len(responses.calls) == 0  # nothing sent to a provider
    assert "127.0.0.1:1" not in response.get_data(as_text=True)
    assert "Traceback" not in caplog.text
    assert "store unavailable: OperationalError" in caplog.text
