"""Routing through the real gunicorn app: a fallback from a failing provider to a working
one, and a retry after a 429 that honours Retry-After."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
import requests

KEY = "sk-e2e-routing-0123456789"


@pytest.fixture(scope="module")
def routed_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, config):
    return requests.post(
        gateway.base_url + "/v1/images/generations",
        json={"model": "dall-e-3", "prompt": "a red fox"},
        headers={"x-portkey-config": json.dumps(config)},
        timeout=30,
    )


def target(fake, prefix, **extra):
    return {"provider": "openai", "api_key": KEY, "custom_host": fake.upstream(prefix), **extra}


def test_fallback_from_a_failing_provider_to_a_working_one(routed_gateway, fake_provider):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [target(fake_provider, "status/503"), target(fake_provider, "ok")],
    }
    res = post(routed_gateway, config)
    assert res.status_code == 200
    assert res.json()["data"][0]["url"] == "https://images.example/fake-0.png"
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert [r.path for r in fake_provider.requests] == [
        "/status/503/v1/images/generations",
        "/ok/v1/images/generations",
    ]
    rows = _attempts(routed_gateway, res.headers["x-request-id"])
    assert rows == [("config.targets[0]", 503), ("config.targets[1]", 200)]


def test_retry_after_a_429_honours_retry_after(routed_gateway, fake_provider):
    # The fake answers 429 with Retry-After: 1 once on this path, then 200. (That the wait
    # honours Retry-After exactly is asserted with an injected sleep in the functional tests.)
    config = target(fake_provider, "flaky/1", retry={"attempts": 2, "use_retry_after_header": True})
    res = post(routed_gateway, config)
    assert res.status_code == 200
    assert res.headers["x-portkey-retry-attempt-count"] == "1"
    assert [r.path for r in fake_provider.requests] == ["/flaky/1/v1/images/generations"] * 2
    rows = _attempts(routed_gateway, res.headers["x-request-id"])
    assert rows == [("config", 429), ("config", 200)]


def _attempts(gateway, request_id):
    deadline = time.monotonic() + 5
    while True:
        conn = sqlite3.connect(f"{gateway.data_dir}/gateway.db")
        try:
            rows = conn.execute(
                "SELECT target_path, status FROM request_attempts WHERE request_id = ? "
                "ORDER BY seq",
                (request_id,),
            ).fetchall()
        finally:
            conn.close()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)
