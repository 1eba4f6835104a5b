"""Routing through the real gunicorn app: a fallback from a failing provider to a working
one, and a retry after a 429 that honours Retry-After."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

KEY = "sk-e2e-routing-0123456789"
VK_SECRET = "sk-e2e-intranet-stored-0123456789"
GATEWAY_CLI = Path(sys.executable).parent / "gateway"


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


@pytest.mark.local_files
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


@pytest.mark.local_files
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


def test_a_refused_host_on_a_later_target_is_refused_before_anything_is_sent(
    routed_gateway, fake_provider
):
    # The allowed host on another port: before the pre-flight, the first target was
    # called (and paid for) before routing reached this one.
    elsewhere = f"http://127.0.0.1:{fake_provider.port + 1}/v1"
    nested = {"strategy": {"mode": "fallback"}, "targets": [target(fake_provider, "ok")]}
    nested["targets"][0]["custom_host"] = elsewhere
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [target(fake_provider, "status/503"), nested],
    }
    res = post(routed_gateway, config)
    assert res.status_code == 400
    error = res.json()["error"]
    assert (error["code"], error["param"]) == (
        "custom_host_not_allowed",
        "x-portkey-config.targets[1].targets[0].custom_host",
    )
    assert fake_provider.requests == []


@pytest.fixture(scope="module")
def intranet_gateway(start_gateway, fake_provider):
    """Team keys required; an http virtual key for the fake, which is on the allowlist."""
    gateway = start_gateway(
        GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url, GATEWAY_REQUIRE_API_KEY="true"
    )
    created = gateway.cli("api-keys", "create", "--name", "intranet")
    assert created.returncode == 0, created.stderr
    gateway.api_key = created.stdout.strip()
    return gateway


def create_virtual_key(gateway, name, base_url):
    command = ["virtual-keys", "create", name, "--provider", "openai", "--base-url", base_url]
    return subprocess.run(  # the secret on stdin, never on the command line
        [str(GATEWAY_CLI), *command],
        input=VK_SECRET,
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_an_http_virtual_key_on_the_allowlist_calls_its_server_over_http(
    intranet_gateway, fake_provider
):
    done = create_virtual_key(intranet_gateway, "images", fake_provider.upstream("ok"))
    assert done.returncode == 0, done.stderr
    refused = create_virtual_key(intranet_gateway, "elsewhere", "http://127.0.0.1:1/v1")
    assert refused.returncode == 2
    assert "http is allowed only for a scheme://host[:port] listed in" in refused.stderr
    res = requests.post(
        intranet_gateway.base_url + "/v1/images/generations",
        json={"model": "dall-e-3", "prompt": "a red fox"},
        headers={
            "Authorization": f"Bearer {intranet_gateway.api_key}",
            "x-portkey-virtual-key": "images",
        },
        timeout=30,
    )
    assert res.status_code == 200
    assert res.json()["data"][0]["url"] == "https://images.example/fake-0.png"
    [call] = fake_provider.requests
    assert call.path == "/ok/v1/images/generations"
    assert call.headers["authorization"] == f"Bearer {VK_SECRET}"


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
