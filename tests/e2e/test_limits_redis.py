"""The e2e limits again, with the limits in Redis (``GATEWAY_REDIS_URL``): exact across two
gunicorn workers, each with its own pool made after the fork, one Lua script per request."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
import redis

from tests.e2e.test_limits import (  # noqa: F401 - collected here, against this module's gateway
    new_key,
    one,
    test_a_daily_budget_admits_exactly_what_it_can_pay_for,
    test_a_rate_limit_holds_exactly_across_workers,
)
from tests.store_servers import redis_url

PREFIX = "gw:usage:"


@pytest.fixture(scope="module")
def redis_server() -> str:
    return redis_url()


@pytest.fixture(scope="module")
def gateway(start_gateway, redis_server) -> Iterator:
    started = start_gateway(  # on SQLite with either GATEWAY_E2E_ENGINE: read below
        GATEWAY_WORKERS="2",
        GATEWAY_THREADS="16",
        GATEWAY_REDIS_URL=redis_server,
        GATEWAY_DATABASE_URL=None,
    )
    yield started
    # The windows would expire at the end of their day and month: delete this run's now.
    client = redis.Redis.from_url(redis_server)
    with sqlite3.connect(started.db_path) as conn:
        key_ids = [row[0] for row in conn.execute("SELECT id FROM api_keys")]
    for key_id in key_ids:
        for found in client.scan_iter(match=f"{PREFIX}{{{key_id}}}:*"):
            client.delete(found)
    client.close()


def test_the_windows_are_in_redis_not_in_the_database(gateway, redis_server):
    key = new_key(gateway, "redis-only", "--rpm", "5")
    body = {"prompt": "a red fox", "size": "64x64"}
    assert one(gateway, key, "placeholder", body)[0] == 200
    with sqlite3.connect(gateway.db_path) as conn:
        [key_id] = [r[0] for r in conn.execute("SELECT id FROM api_keys WHERE name = 'redis-only'")]
        assert conn.execute("SELECT COUNT(*) FROM usage_windows").fetchone() == (0,)
    client = redis.Redis.from_url(redis_server)
    try:
        found = sorted(k.decode() for k in client.scan_iter(match=f"{PREFIX}{{{key_id}}}:*"))
        assert [k.split(":", 3)[3].split(":")[0] for k in found] == ["day", "minute", "month"]
        minute = next(k for k in found if ":minute:" in k)
        assert client.hgetall(minute) == {b"requests": b"1", b"images": b"1"}
        assert 0 < client.ttl(minute) <= 60
    finally:
        client.close()
