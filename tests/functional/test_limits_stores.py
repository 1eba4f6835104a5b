"""The store of the limits through the Flask app: Redis when GATEWAY_REDIS_URL is set, and
a 503 ``limits_unavailable`` (no provider called) when that store is down."""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from gateway.cli import main as cli
from gateway.settings import Settings
from gateway.store.database import Database
from gateway.store.redis_usage import RedisUsageStore
from gateway.store.usage import DatabaseUsageStore
from tests.factories import OPENAI_URL, auth_headers, encode, image_body
from tests.functional.conftest import log_rows
from tests.store_servers import redis_url

URL = "/v1/images/generations"
UNREACHABLE = {
    "error": {
        "message": "The gateway cannot check this API key's limits right now: the limit "
        "store is unreachable. Nothing was sent to a provider; retry shortly.",
        "type": "server_error",
        "param": None,
        "code": "limits_unavailable",
    }
}


@pytest.fixture(scope="session")
def redis_server() -> str:
    return redis_url()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_key(app: Any, monkeypatch: pytest.MonkeyPatch, *limits: str) -> str:
    monkeypatch.setenv("GATEWAY_DATA_DIR", app.extensions["gateway"].settings.data_dir)
    runner = CliRunner()
    created = runner.invoke(cli, ["api-keys", "create", "--name", "design"])
    assert created.exit_code == 0, created.output
    out = runner.invoke(cli, ["api-keys", "limits", "design", *limits])
    assert out.exit_code == 0, out.output
    return created.stdout.strip()


def post(app: Any, key: str) -> Any:
    headers = auth_headers(**{"x-portkey-api-key": key})
    return app.test_client().post(URL, data=encode(image_body()), headers=headers)


def urls(n: int) -> bytes:
    data = [{"url": f"https://img.example/{i}.png"} for i in range(n)]
    return json.dumps({"created": 1_700_000_000, "data": data}).encode()


def with_usage(app: Any, usage: Any) -> Any:
    state = app.extensions["gateway"]
    app.extensions["gateway"] = dataclasses.replace(
        state, deps=dataclasses.replace(state.deps, usage=usage)
    )
    return app


def test_without_a_redis_url_the_limits_live_in_the_database(app):
    assert isinstance(app.extensions["gateway"].deps.usage, DatabaseUsageStore)


def test_with_a_redis_url_the_limits_live_in_redis(make_app, redis_server, upstream, monkeypatch):
    app = make_app(redis_url=redis_server)
    usage = app.extensions["gateway"].deps.usage
    assert isinstance(usage, RedisUsageStore)
    key = new_key(app, monkeypatch, "--daily-usd", "0.04")  # one $0.04 image a day
    upstream.post(OPENAI_URL, body=urls(1), content_type="application/json")
    client = redis.Redis.from_url(redis_server)
    try:
        assert post(app, key).status_code == 200
        refused = post(app, key)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (429, "budget_daily")
        [key_id] = {row["api_key_id"] for row in log_rows(app)}
        spend = [client.hget(k, "spend") for k in client.scan_iter(match=usage.key(key_id, "*"))]
        assert sorted(spend, key=str) == [None, b"40000", b"40000"]  # minute, day, month
    finally:
        for key_id in {row["api_key_id"] for row in log_rows(app)}:
            for found in client.scan_iter(match=usage.key(key_id, "*")):
                client.delete(found)
        usage.close()
        client.close()


@pytest.mark.parametrize("store", ["redis", "postgresql"])
def test_a_limit_store_that_is_down_is_a_503_and_no_provider_is_called(
    make_app, tmp_path, upstream, monkeypatch, store
):
    port = unused_port()
    if store == "redis":
        app = make_app(redis_url=f"redis://:s3cret@127.0.0.1:{port}/0")
        assert isinstance(app.extensions["gateway"].deps.usage, RedisUsageStore)
    else:  # the app's own store is fine; only the limits' database is down
        settings = Settings(
            data_dir=str(tmp_path / "pg"),
            database_url=f"postgresql://gw:s3cret@127.0.0.1:{port}/gw",
        )
        app = with_usage(make_app(), DatabaseUsageStore(Database.from_settings(settings)))
    key = new_key(app, monkeypatch, "--rpm", "100")
    res = post(app, key)  # `upstream` has no answer registered: a call would fail the test
    assert res.status_code == 503
    assert res.get_json() == UNREACHABLE
    assert (res.headers["Retry-After"], res.headers["x-should-retry"]) == ("5", "true")
    assert str(port) not in res.get_data(as_text=True)
    assert len(upstream.calls) == 0
    [row] = log_rows(app)
    assert (row["status"], row["error_code"]) == (503, "limits_unavailable")
