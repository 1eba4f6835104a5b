"""tests/store_servers.py: a missing server skips the test, except under CI, where it fails."""

from __future__ import annotations

import pytest
import redis

from tests import store_servers

DOWN = {
    "postgres": (store_servers.POSTGRES_ENV, "postgresql://nobody@127.0.0.1:1/test"),
    "redis": (store_servers.REDIS_ENV, "redis://127.0.0.1:1/0"),
}
FIND = {"postgres": store_servers.postgres_url, "redis": store_servers.redis_url}


@pytest.mark.parametrize("server", sorted(DOWN))
def test_a_server_that_does_not_answer_skips_the_test(server, monkeypatch):
    monkeypatch.setenv(*DOWN[server])
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"not reachable at GATEWAY_TEST_\w+_URL"):
        FIND[server]()


@pytest.mark.parametrize("server", sorted(DOWN))
def test_under_ci_a_server_that_does_not_answer_fails_the_test(server, monkeypatch):
    monkeypatch.setenv(*DOWN[server])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: store tests must run, not skip"):
        FIND[server]()


def test_redis_answers_where_the_store_will_look_for_it():
    client = redis.Redis.from_url(store_servers.redis_url())
    try:
        assert client.ping() is True
    finally:
        client.close()
