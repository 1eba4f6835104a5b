"""x-portkey-config through the whole app: fallback, load balance, conditions, retries."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest
import requests
import responses
from click.testing import CliRunner
from responses import matchers, registries

from gateway.cli import main as cli
from tests.factories import OK_BODY, OPENAI_URL, encode, image_body

URL = "/v1/images/generations"
JSON = {"Content-Type": "application/json"}


class FixedRandom:
    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


@pytest.fixture
def routed(make_app):
    """An app whose back-off sleeps are recorded, not slept, and whose dice are fixed."""
    app = make_app()
    sleeps: list[float] = []
    state = app.extensions["gateway"]
    deps = dataclasses.replace(state.deps, sleep=sleeps.append, rng=FixedRandom(0.9))
    app.extensions["gateway"] = dataclasses.replace(state, deps=deps)
    app.sleeps = sleeps
    return app


@pytest.fixture
def ordered():
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=registries.OrderedRegistry
    ) as mock:
        yield mock


def post(app, config, **extra):
    headers = {**JSON, "x-portkey-config": json.dumps(config), **extra}
    return app.test_client().post(URL, data=encode(image_body()), headers=headers)


def target(key, **extra):
    return {"provider": "openai", "api_key": key, **extra}


def attempts(app):
    state = app.extensions["gateway"]
    assert state.request_log.flush(5)
    conn = sqlite3.connect(state.settings.db_path)
    return conn.execute(
        "SELECT target_path, status, failure, skip_reason FROM request_attempts ORDER BY seq"
    ).fetchall()


def auth(key):
    return [matchers.header_matcher({"Authorization": f"Bearer {key}"})]


def test_fallback_moves_to_the_next_target_after_a_500(routed, ordered):
    ordered.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}}, match=auth("sk-a1"))
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    config = {"strategy": {"mode": "fallback"}, "targets": [target("sk-a1"), target("sk-b2")]}
    res = post(routed, config)
    assert res.status_code == 200
    assert res.data == OK_BODY
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert res.headers["x-portkey-retry-attempt-count"] == "0"
    assert attempts(routed) == [
        ("config.targets[0]", 500, None, None),
        ("config.targets[1]", 200, None, None),
    ]


def test_fallback_stops_on_a_status_outside_on_status_codes(routed, ordered):
    ordered.post(OPENAI_URL, status=400, json={"error": {"message": "bad prompt"}})
    config = {
        "strategy": {"mode": "fallback", "on_status_codes": [429, 503]},
        "targets": [target("sk-a1"), target("sk-b2")],
    }
    res = post(routed, config)
    assert res.status_code == 400
    assert res.get_json()["error"]["message"] == "openai error: bad prompt"
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[0]"


def test_retry_after_a_429_honours_retry_after(routed, ordered):
    ordered.post(OPENAI_URL, status=429, headers={"retry-after": "2"}, json={"error": {}})
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    config = target("sk-a1", retry={"attempts": 2, "use_retry_after_header": True})
    res = post(routed, config)
    assert res.status_code == 200
    assert res.headers["x-portkey-retry-attempt-count"] == "1"
    assert routed.sleeps == [2.0]


def test_retries_exhausted_report_minus_one(routed, ordered):
    for _ in range(3):
        ordered.post(OPENAI_URL, status=503, json={"error": {"message": "busy"}})
    res = post(routed, target("sk-a1", retry={"attempts": 2}))
    assert res.status_code == 503
    assert res.headers["x-portkey-retry-attempt-count"] == "-1"
    assert len(routed.sleeps) == 2
    assert all(0 <= s <= 8 for s in routed.sleeps)


def test_a_read_timeout_after_sending_is_never_retried_by_default(routed, ordered):
    ordered.post(OPENAI_URL, body=requests.ReadTimeout("slow"))
    res = post(routed, target("sk-a1", retry={"attempts": 3}))
    assert res.status_code == 504
    assert res.headers["x-should-retry"] == "false"
    assert routed.sleeps == []


def test_loadbalance_picks_by_weight(routed, ordered):
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    config = {
        "strategy": {"mode": "loadbalance"},
        "targets": [
            target("sk-a1", weight=1),
            target("sk-b2", weight=1),
            target("sk-c3", weight=0),
        ],
    }
    res = post(routed, config)  # FixedRandom(0.9) * 2 = 1.8 -> the second target
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"


def test_conditional_routing_on_metadata(routed, ordered):
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-ads"))
    config = {
        "strategy": {
            "mode": "conditional",
            "conditions": [{"query": {"metadata.team": {"$eq": "ads"}}, "then": "ads"}],
            "default": "rest",
        },
        "targets": [target("sk-rest", name="rest"), target("sk-ads", name="ads")],
    }
    res = post(routed, config, **{"x-portkey-metadata": '{"team": "ads"}'})
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"


def test_a_target_that_cannot_serve_the_request_is_skipped_without_a_call(routed, ordered):
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            target("sk-a1", override_params={"size": "256x256"}),  # dall-e-3 cannot
            target("sk-b2"),
        ],
    }
    res = post(routed, config)
    assert res.status_code == 200
    [skipped, served] = attempts(routed)
    assert skipped[:3] == ("config.targets[0]", None, "skipped")
    assert "'size' '256x256' is not supported" in skipped[3]
    assert served == ("config.targets[1]", 200, None, None)


def test_when_no_target_can_serve_the_400_says_why_for_each(routed):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            target("sk-a1", override_params={"size": "256x256"}),
            target("sk-b2", override_params={"n": 3}),
        ],
    }
    res = post(routed, config)
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error["code"] == "no_target_can_serve"
    assert "config.targets[0]: 'size' '256x256'" in error["message"]
    assert "config.targets[1]: 'n' must be only 1" in error["message"]


def test_header_key_is_merged_into_a_config_without_provider(routed, ordered):
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-hdr"))
    headers = {"Authorization": "Bearer sk-hdr", "x-portkey-provider": "openai"}
    res = post(routed, {"retry": {"attempts": 1}}, **headers)
    assert res.status_code == 200


@pytest.mark.parametrize(
    ("config", "param"),
    [
        ({"stratergy": {"mode": "fallback"}}, "x-portkey-config.stratergy"),
        (
            {"strategy": {"mode": "fallback"}, "targets": [target("k", retri={})]},
            "x-portkey-config.targets[0].retri",
        ),
    ],
)
def test_unknown_config_keys_are_400_naming_the_path(routed, config, param):
    res = post(routed, config)
    assert res.status_code == 400
    assert res.get_json()["error"]["param"] == param


def test_a_target_without_a_key_is_401_before_any_call(routed):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [target("sk-a1"), {"provider": "openai"}],
    }
    res = post(routed, config)
    assert res.status_code == 401
    assert res.get_json()["error"]["param"] == "x-portkey-config.targets[1].api_key"


def test_oversized_and_unknown_saved_configs(routed):
    res = routed.test_client().post(
        URL, data=encode(image_body()), headers={**JSON, "x-portkey-config": "x" * 9000}
    )
    assert res.get_json()["error"]["code"] == "config_too_large"
    res = routed.test_client().post(
        URL, data=encode(image_body()), headers={**JSON, "x-portkey-config": "nightly"}
    )
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "config_not_found")


def test_a_saved_config_is_used_by_name_and_logged_with_its_version(
    routed, ordered, tmp_path, monkeypatch
):
    state = routed.extensions["gateway"]
    monkeypatch.setenv("GATEWAY_DATA_DIR", state.settings.data_dir)
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"retry": {"attempts": 1}, "override_params": {"quality": "hd"}}))
    out = CliRunner().invoke(cli, ["configs", "put", "hd", "--file", str(path)])
    assert out.exit_code == 0, out.output
    ordered.post(
        OPENAI_URL,
        body=OK_BODY,
        content_type="application/json",
        match=[
            matchers.json_params_matcher(
                {"model": "dall-e-3", "prompt": "a lighthouse at dusk", "quality": "hd"}
            ),
            *auth("sk-x1"),
        ],
    )
    headers = {**JSON, "x-portkey-config": "hd", "Authorization": "Bearer sk-x1"}
    res = routed.test_client().post(URL, data=encode(image_body()), headers=headers)
    assert res.status_code == 200
    assert state.request_log.flush(5)
    conn = sqlite3.connect(state.settings.db_path)
    row = conn.execute("SELECT config_name, config_version, quality FROM request_log").fetchone()
    assert row == ("hd", 1, "hd")


def test_a_2xx_that_is_not_an_image_answer_falls_back(routed, ordered):
    ordered.post(OPENAI_URL, body="<html>maintenance</html>", content_type="text/html")
    ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json", match=auth("sk-b2"))
    config = {"strategy": {"mode": "fallback"}, "targets": [target("sk-a1"), target("sk-b2")]}
    res = post(routed, config)
    assert res.status_code == 200
    assert res.data == OK_BODY
    assert attempts(routed) == [
        ("config.targets[0]", 502, None, None),
        ("config.targets[1]", 200, None, None),
    ]
