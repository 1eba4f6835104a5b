"""Upstream faults through the real gunicorn app and a real socket: a 200 whose JSON is
truncated, a connection closed mid-answer, an exhausted quota and a long Retry-After,
each inside a fallback config, checked against what the fake provider received."""

from __future__ import annotations

import json
import time

import pytest
import requests

KEY = "sk-e2e-faults-0123456789"
PATH = "/v1/images/generations"


@pytest.fixture(scope="module")
def faulty_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, config):
    return requests.post(
        gateway.base_url + PATH,
        json={"model": "dall-e-3", "prompt": "a red fox"},
        headers={"x-portkey-config": json.dumps(config)},
        timeout=30,
    )


def target(fake, prefix, **extra):
    return {"provider": "openai", "api_key": KEY, "custom_host": fake.upstream(prefix), **extra}


def fallback(*targets):
    return {"strategy": {"mode": "fallback"}, "targets": list(targets)}


def paths(fake):
    return [r.path for r in fake.requests]


def test_a_truncated_200_alone_is_a_502(faulty_gateway, fake_provider):
    res = post(faulty_gateway, target(fake_provider, "truncated"))
    assert res.status_code == 502
    assert res.json()["error"]["code"] == "upstream_invalid_response"
    assert res.json()["error"]["message"] == (
        "openai answered HTTP 200 but its body is not valid JSON."
    )


@pytest.mark.parametrize("fault", ["truncated", "cut", "hang/0"])
def test_a_broken_answer_falls_back_to_the_next_target(faulty_gateway, fake_provider, fault):
    config = fallback(
        target(fake_provider, fault, retry={"attempts": 2}), target(fake_provider, "ok")
    )
    res = post(faulty_gateway, config)
    assert res.status_code == 200
    assert res.json()["data"][0]["url"] == "https://images.example/fake-0.png"
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    # Not retried on the broken target: the image may have been made and billed there.
    assert paths(fake_provider) == [f"/{fault}{PATH}", f"/ok{PATH}"]


def test_an_exhausted_quota_is_not_retried_but_falls_back(faulty_gateway, fake_provider):
    config = fallback(
        target(fake_provider, "quota", retry={"attempts": 3}), target(fake_provider, "ok")
    )
    res = post(faulty_gateway, config)
    assert res.status_code == 200
    assert paths(fake_provider) == [f"/quota{PATH}", f"/ok{PATH}"]


def test_a_retry_after_past_the_cap_is_returned_at_once(faulty_gateway, fake_provider):
    started = time.monotonic()
    res = post(faulty_gateway, target(fake_provider, "wait/90", retry={"attempts": 3}))
    assert time.monotonic() - started < 5
    assert res.status_code == 429
    assert res.headers["retry-after"] == "90"
    assert res.headers["x-portkey-retry-attempt-count"] == "-1"
    assert paths(fake_provider) == [f"/wait/90{PATH}"]


def test_a_short_retry_after_is_waited_for_in_full(faulty_gateway, fake_provider):
    started = time.monotonic()
    res = post(faulty_gateway, target(fake_provider, "wait/1", retry={"attempts": 1}))
    assert time.monotonic() - started >= 1.0  # the fake asked for Retry-After: 1
    assert res.status_code == 429
    assert res.headers["x-portkey-retry-attempt-count"] == "-1"
    assert paths(fake_provider) == [f"/wait/1{PATH}"] * 2
