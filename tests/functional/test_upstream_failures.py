"""Upstream faults through the whole app: broken 2xx bodies, lost connections,
Retry-After and quota errors, each against retries and fallback."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import sqlite3
import time

import pytest
import requests
import responses
from responses import matchers, registries

from tests.factories import OK_BODY, OPENAI_URL, encode, image_body

URL = "/v1/images/generations"
TRUNCATED = b'{"created": 1700000000, "data": [{"url": "https://mock.'
QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}


class FixedRandom:
    def random(self) -> float:
        return 0.5


@pytest.fixture
def routed(make_app):
    """Back-off sleeps recorded, not slept; the dice fixed at 0.5."""
    app = make_app()
    state = app.extensions["gateway"]
    app.sleeps = []
    deps = dataclasses.replace(state.deps, sleep=app.sleeps.append, rng=FixedRandom())
    app.extensions["gateway"] = dataclasses.replace(state, deps=deps)
    return app


@pytest.fixture
def ordered():
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=registries.OrderedRegistry
    ) as mock:
        yield mock


def post(app, config):
    headers = {"Content-Type": "application/json", "x-portkey-config": json.dumps(config)}
    return app.test_client().post(URL, data=encode(image_body()), headers=headers)


def target(key, **extra):
    return {"provider": "openai", "api_key": key, **extra}


def fallback(*targets, **strategy):
    return {"strategy": {"mode": "fallback", **strategy}, "targets": list(targets)}


def auth(key):
    return [matchers.header_matcher({"Authorization": f"Bearer {key}"})]


def attempts(app):
    state = app.extensions["gateway"]
    assert state.request_log.flush(5)
    conn = sqlite3.connect(state.settings.db_path)
    return conn.execute(
        "SELECT target_path, status, failure FROM request_attempts ORDER BY seq"
    ).fetchall()


# --- 2xx bodies that are not complete JSON -----------------------------------------


def test_a_truncated_200_is_a_502_not_passed_through(routed, ordered):
    ordered.post(OPENAI_URL, body=TRUNCATED, content_type="application/json")
    res = post(routed, target("sk-a1"))
    assert res.status_code == 502
    assert res.get_json()["error"] == {
        "message": "openai answered HTTP 200 but its body is not valid JSON.",
        "type": "upstream_error",
        "param": None,
        "code": "upstream_invalid_response",
        "provider": "openai",
    }


def test_a_truncated_200_falls_back_to_the_next_target(routed, ordered):
    ordered.post(OPENAI_URL, body=TRUNCATED, content_type="application/json", match=auth("sk-a1"))
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    res = post(routed, fallback(target("sk-a1"), target("sk-b2")))
    assert res.status_code == 200
    assert res.data == OK_BODY  # the good body still passes byte for byte
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert attempts(routed) == [("config.targets[0]", 502, None), ("config.targets[1]", 200, None)]


# --- a lost connection --------------------------------------------------------------


def test_a_lost_connection_falls_back_and_is_not_retried_on_the_same_target(routed, ordered):
    reset = requests.ConnectionError("Connection reset by peer")
    ordered.post(OPENAI_URL, body=reset, match=auth("sk-a1"))
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    config = fallback(target("sk-a1", retry={"attempts": 3}), target("sk-b2"))
    res = post(routed, config)
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert attempts(routed) == [
        ("config.targets[0]", 502, "lost"),
        ("config.targets[1]", 200, None),
    ]
    assert routed.sleeps == []


def test_a_lost_connection_follows_on_status_codes_as_a_502(routed, ordered):
    ordered.post(OPENAI_URL, body=requests.ConnectionError("reset"))
    res = post(routed, fallback(target("sk-a1"), target("sk-b2"), on_status_codes=[429]))
    assert res.status_code == 502
    assert res.get_json()["error"]["code"] == "upstream_connection_lost"
    assert res.headers["x-should-retry"] == "false"


# --- Retry-After --------------------------------------------------------------------


def test_retry_after_is_honoured_without_asking(routed, ordered):
    ordered.post(OPENAI_URL, status=429, headers={"retry-after": "2"}, json={"error": {}})
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    res = post(routed, target("sk-a1", retry={"attempts": 2}))
    assert res.status_code == 200
    assert res.headers["x-portkey-retry-attempt-count"] == "1"
    assert routed.sleeps == [2.0]


def test_retry_after_ms_is_honoured(routed, ordered):
    ordered.post(OPENAI_URL, status=503, headers={"retry-after-ms": "1500"}, json={"error": {}})
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    res = post(routed, target("sk-a1", retry={"attempts": 1}))
    assert res.status_code == 200
    assert routed.sleeps == [1.5]


def test_retry_after_as_an_http_date_is_honoured(routed, ordered):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    ordered.post(OPENAI_URL, status=429, headers={"retry-after": when}, json={"error": {}})
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    res = post(routed, target("sk-a1", retry={"attempts": 1}))
    assert res.status_code == 200
    [slept] = routed.sleeps
    assert 27.0 <= slept <= 30.0


@pytest.mark.parametrize("wait", ["61", "3600"])
def test_a_retry_after_past_the_cap_returns_the_providers_429(routed, ordered, wait):
    ordered.post(OPENAI_URL, status=429, headers={"retry-after": wait}, json={"error": {}})
    res = post(routed, target("sk-a1", retry={"attempts": 3}))
    assert res.status_code == 429
    assert res.headers["retry-after"] == wait
    assert res.headers["x-portkey-retry-attempt-count"] == "-1"
    assert routed.sleeps == []


def test_use_retry_after_header_false_keeps_portkeys_back_off(routed, ordered):
    ordered.post(OPENAI_URL, status=429, headers={"retry-after": "2"}, json={"error": {}})
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    res = post(routed, target("sk-a1", retry={"attempts": 1, "use_retry_after_header": False}))
    assert res.status_code == 200
    assert routed.sleeps == [0.25]  # full jitter: 0.5 x min(8, 0.5 s)


# --- an exhausted quota -------------------------------------------------------------


def test_an_exhausted_quota_is_not_retried(routed, ordered):
    ordered.post(OPENAI_URL, status=429, json=QUOTA)
    res = post(routed, target("sk-a1", retry={"attempts": 3}))
    assert res.status_code == 429
    assert res.get_json()["error"]["code"] == "insufficient_quota"
    assert res.headers["x-should-retry"] == "false"
    assert res.headers["x-portkey-retry-attempt-count"] == "0"
    assert len(ordered.calls) == 1
    assert routed.sleeps == []


def test_an_exhausted_quota_falls_back_to_the_next_target(routed, ordered):
    ordered.post(OPENAI_URL, status=429, json=QUOTA, match=auth("sk-a1"))
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    res = post(routed, fallback(target("sk-a1", retry={"attempts": 3}), target("sk-b2")))
    assert res.status_code == 200
    assert attempts(routed) == [("config.targets[0]", 429, None), ("config.targets[1]", 200, None)]


def test_a_rate_limit_429_is_still_retried(routed, ordered):
    limited = {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}
    ordered.post(OPENAI_URL, status=429, json=limited)
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    res = post(routed, target("sk-a1", retry={"attempts": 1}))
    assert res.status_code == 200
    assert res.headers["x-portkey-retry-attempt-count"] == "1"


@pytest.mark.parametrize(
    ("mock", "code"),
    [
        (
            {"status": 302, "headers": {"location": "https://elsewhere.example/"}},
            "upstream_redirect",
        ),
        (
            {"body": b"x" * 70_000, "content_type": "application/json"},
            "upstream_response_too_large",
        ),
    ],
)
def test_a_redirect_or_an_oversized_answer_is_not_retried(make_app, mock, code):
    app = make_app(max_upstream_bytes=65_536)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as upstream:
        upstream.post(OPENAI_URL, **mock)
        res = post(app, target("sk-a1", retry={"attempts": 2}))
        assert len(upstream.calls) == 1
    assert res.status_code == 502
    assert res.get_json()["error"]["code"] == code
