"""``n`` for providers that make fewer images per call: several calls, one answer.

Through the whole app with ``responses``: the calls made, the merged answer, the rule
that one failed call fails the target (fallback moves on), and the images made by the
other calls counted in the log row, the cost and the limits.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time

import pytest
import responses

from gateway.errors import InvalidRequest
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import OPENAI_URL
from tests.functional.conftest import log_rows
from tests.functional.test_cost_and_limits import make_limited  # noqa: F401 - fixture

URL = "/v1/images/generations"
KEY = "sk-stab-fanout-0123456789abcdef"
CORE_URL = "https://api.stability.ai/v2beta/stable-image/generate/core"
TOGETHER_URL = "https://api.together.xyz/v1/images/generations"
COST = "x-gateway-cost-usd"
STABILITY_OK = {"image": TINY_PNG_B64, "finish_reason": "SUCCESS", "seed": 7}


def stability(client, body, **headers):
    headers = {"Authorization": f"Bearer {KEY}", "x-portkey-provider": "stability-ai", **headers}
    return client.post(URL, json=body, headers=headers)


class Counted:
    """A ``responses`` callback that counts its calls and fails the ones listed."""

    def __init__(self, failing: tuple[int, ...] = ()) -> None:
        self.failing = failing
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.bodies.append(request.body)
            index = len(self.bodies) - 1
        if index in self.failing:
            return 500, {}, json.dumps({"id": "x", "name": "internal", "errors": ["boom"]})
        return 200, {"Content-Type": "application/json"}, json.dumps(STABILITY_OK)


def test_stability_v2beta_n3_makes_three_calls_without_n_and_answers_three_images(
    app, client, upstream
):
    calls = Counted()
    upstream.add_callback(responses.POST, CORE_URL, callback=calls)
    res = stability(client, {"prompt": "a red fox", "n": 3, "response_format": "b64_json"})

    assert res.status_code == 200, res.get_json()
    data = res.get_json()["data"]
    assert [item["b64_json"] for item in data] == [TINY_PNG_B64] * 3
    assert len(calls.bodies) == 3
    for body in calls.bodies:
        assert b'name="prompt"' in body
        assert b'name="n"' not in body
    assert res.headers[COST] == "0.090000"  # 3 x 3 credits (Core)
    [row] = log_rows(app)
    assert (row["n"], row["images"], row["cost_micro_usd"], row["status"]) == (3, 3, 90_000, 200)


def test_more_than_ten_is_still_a_400(client):
    res = stability(client, {"prompt": "a red fox", "n": 11})
    assert res.status_code == 400
    assert res.get_json()["error"]["param"] == "n"


def together_answer(request):
    """n images whose revised prompt says which call (by its n) made which image."""
    sent = json.loads(request.body)
    data = [
        {"b64_json": TINY_PNG_B64, "revised_prompt": f"n{sent['n']}-{i}"} for i in range(sent["n"])
    ]
    return 200, {"Content-Type": "application/json"}, json.dumps({"created": 1, "data": data})


def test_calls_of_several_images_merge_in_call_order(client, upstream):
    upstream.add_callback(responses.POST, TOGETHER_URL, callback=together_answer)
    res = client.post(
        URL,
        json={"prompt": "a red fox", "n": 6, "response_format": "b64_json"},
        headers={"Authorization": f"Bearer {KEY}", "x-portkey-provider": "together-ai"},
    )
    assert res.status_code == 200, res.get_json()
    prompts = [item["revised_prompt"] for item in res.get_json()["data"]]
    # Together makes at most 4 per call: a call for 4, then one for 2, in that order.
    assert prompts == ["n4-0", "n4-1", "n4-2", "n4-3", "n2-0", "n2-1"]
    sent = sorted(json.loads(call.request.body)["n"] for call in upstream.calls)
    assert sent == [2, 4]


def test_one_failed_call_fails_the_target_and_fallback_counts_the_images_made(
    app, client, upstream
):
    calls = Counted(failing=(2,))
    upstream.add_callback(responses.POST, CORE_URL, callback=calls)
    answer = {"created": 1, "data": [{"url": f"https://img.example/{i}.png"} for i in range(3)]}
    upstream.post(OPENAI_URL, json=answer)
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {"provider": "stability-ai", "api_key": KEY},
            {"provider": "openai", "api_key": "sk-openai-fanout-0123456789"},
        ],
    }
    res = client.post(
        URL,
        json={"prompt": "a red fox", "n": 3},
        headers={"x-portkey-config": json.dumps(config)},
    )

    assert res.status_code == 200, res.get_json()
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert [item["url"] for item in res.get_json()["data"]] == [
        f"https://img.example/{i}.png" for i in range(3)
    ]
    assert len(calls.bodies) == 3
    # 2 Stability images made and not returned (2 x $0.03) + 3 dall-e-2 images (3 x $0.02).
    assert res.headers[COST] == "0.120000"
    [row] = log_rows(app)
    assert (row["provider"], row["images"], row["cost_micro_usd"]) == ("openai", 5, 120_000)


def test_when_every_target_fails_the_images_made_are_still_logged_and_charged(
    app, client, upstream
):
    calls = Counted(failing=(0,))
    upstream.add_callback(responses.POST, CORE_URL, callback=calls)
    res = stability(client, {"prompt": "a red fox", "n": 3})

    assert res.status_code == 500
    assert res.get_json()["error"]["provider"] == "stability-ai"
    assert TINY_PNG_B64.encode() not in res.data
    assert res.headers[COST] == "0.060000"
    [row] = log_rows(app)
    assert (row["status"], row["images"], row["cost_micro_usd"]) == (500, 2, 60_000)


def test_the_cache_stores_the_merged_answer(app, client, upstream):
    calls = Counted()
    upstream.add_callback(responses.POST, CORE_URL, callback=calls)
    cache = {"x-portkey-config": json.dumps({"cache": {"mode": "simple"}})}
    body = {"prompt": "a red fox", "n": 3, "response_format": "b64_json"}
    miss = stability(client, body, **cache)
    hit = stability(client, body, **cache)

    assert (miss.status_code, hit.status_code) == (200, 200)
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert len(calls.bodies) == 3  # the hit made no call
    images = [base64.b64decode(item["b64_json"]) for item in hit.get_json()["data"]]
    assert images == [TINY_PNG] * 3


@pytest.fixture
def limited(make_limited):  # noqa: F811 - the imported fixture
    return make_limited()


def test_images_per_minute_count_every_image_of_a_fan_out(limited, upstream):
    key = limited.key("design", "--ipm", "4")
    upstream.add_callback(responses.POST, CORE_URL, callback=Counted())
    client = limited.test_client()
    first = stability(client, {"prompt": "a red fox", "n": 3}, **{"x-portkey-api-key": key})
    second = stability(client, {"prompt": "a red fox", "n": 2}, **{"x-portkey-api-key": key})

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.get_json()["error"]["code"] == "rate_limit_ipm"
    assert len(upstream.calls) == 3


def test_a_fan_out_asking_more_than_the_images_per_minute_is_refused(limited):
    key = limited.key("design", "--ipm", "2")
    res = stability(
        limited.test_client(), {"prompt": "a red fox", "n": 3}, **{"x-portkey-api-key": key}
    )
    assert res.status_code == 429
    error = res.get_json()["error"]
    assert (error["code"], error["param"]) == ("rate_limit_ipm", "n")
    assert "this request asks for 3" in error["message"]


def test_a_retry_repeats_the_whole_fan_out_and_both_rounds_are_counted(make_app, upstream):
    app = make_app()
    state = app.extensions["gateway"]
    sleeps: list[float] = []
    deps = dataclasses.replace(state.deps, sleep=sleeps.append)
    app.extensions["gateway"] = dataclasses.replace(state, deps=deps)
    calls = Counted(failing=(1,))  # the first round: one of its 3 calls fails
    upstream.add_callback(responses.POST, CORE_URL, callback=calls)
    config = {"retry": {"attempts": 1, "on_status_codes": [500]}}
    res = stability(
        app.test_client(),
        {"prompt": "a red fox", "n": 3, "response_format": "b64_json"},
        **{"x-portkey-config": json.dumps(config)},
    )

    assert res.status_code == 200, res.get_json()
    assert res.headers["x-portkey-retry-attempt-count"] == "1"
    assert len(res.get_json()["data"]) == 3
    assert len(calls.bodies) == 6
    assert len(sleeps) == 1
    [row] = log_rows(app)
    assert (row["images"], row["cost_micro_usd"]) == (5, 150_000)  # 2 discarded + 3 returned


def with_deps(app, **deps):
    state = app.extensions["gateway"]
    app.extensions["gateway"] = dataclasses.replace(
        state, deps=dataclasses.replace(state.deps, **deps)
    )
    return app


def test_the_calls_share_the_attempts_time_and_a_call_after_it_is_not_made(app, upstream):
    calls = Counted()
    never = threading.Event()

    def first_four_at_once(request):
        answer = calls(request)
        if len(calls.bodies) > 4:  # the rest answer after the attempt's time is up
            assert not never.wait(2.0)
        return answer

    upstream.add_callback(responses.POST, CORE_URL, callback=first_four_at_once)
    config = {"request_timeout": 1500}
    res = stability(
        app.test_client(),
        {"prompt": "a red fox", "n": 10},
        **{"x-portkey-config": json.dumps(config)},
    )

    # 10 calls, 4 at a time, each started when one before it has succeeded: the first
    # 4 answer at once, the 4 started then answer too late, the last 2 are never made.
    assert res.status_code == 408, res.get_json()
    assert res.get_json()["error"]["message"] == (
        "Request exceeded the timeout sent in the request: 1500ms"
    )
    assert len(calls.bodies) == 8
    [row] = log_rows(app)
    assert (row["images"], row["cost_micro_usd"]) == (4, 120_000)


class Signer:
    """Signs nothing; ``before`` runs first, as a token fetch would (``signing``)."""

    def __init__(self, before) -> None:
        self.before = before
        self.timeouts: list[float] = []
        self.lock = threading.Lock()

    def checked(self, accounts):
        return self

    def apply(self, call, connect_timeout, timeout):
        with self.lock:
            self.timeouts.append(timeout)
            index = len(self.timeouts) - 1
        self.before(index)
        return call


def test_a_call_is_not_sent_when_signing_used_up_the_attempts_time(make_app, upstream):
    signer = Signer(lambda index: time.sleep(0.35))  # 0.05 s or less left of 0.4 s
    app = with_deps(make_app(), signer=signer)
    config = {"request_timeout": 400}
    res = stability(
        app.test_client(),
        {"prompt": "a red fox", "n": 2},
        **{"x-portkey-config": json.dumps(config)},
    )

    assert res.status_code == 408, res.get_json()
    assert res.get_json()["error"]["message"] == (
        "Request exceeded the timeout sent in the request: 400ms"
    )
    assert len(upstream.calls) == 0  # nothing billable sent with no time to answer in
    assert len(signer.timeouts) == 2
    assert all(0 < timeout <= 0.4 for timeout in signer.timeouts)


def test_a_call_that_raises_fails_the_request_and_the_images_made_are_counted(make_app, upstream):
    calls = Counted()
    two_made = threading.Event()

    def answer(request):
        reply = calls(request)
        if len(calls.bodies) == 2:
            two_made.set()
        return reply

    def third_refused(index: int) -> None:
        if index == 2:
            assert two_made.wait(5)
            raise InvalidRequest("The service account key cannot be used.", param="api_key")

    upstream.add_callback(responses.POST, CORE_URL, callback=answer)
    app = with_deps(make_app(), signer=Signer(third_refused))
    res = stability(app.test_client(), {"prompt": "a red fox", "n": 3})

    assert res.status_code == 400, res.get_json()
    assert res.get_json()["error"]["message"] == "The service account key cannot be used."
    assert len(calls.bodies) == 2
    [row] = log_rows(app)
    assert (row["images"], row["cost_micro_usd"]) == (2, 60_000)


DEEPINFRA_URL = "https://api.deepinfra.com/v1/openai/images/generations"


def test_a_calls_unreadable_answer_is_not_retried_and_its_images_are_counted(app, upstream):
    def answer(request):
        n = json.loads(request.body)["n"]
        if n == 2:  # whole in outline (checked without its base64), not as JSON
            broken = b'"' + b"A" * 1100 + b"\x01" + b'"'
            body = b'{"created": 1, "data": [{"b64_json": ' + broken + b"}]}"
        else:
            body = json.dumps({"created": 1, "data": [{"b64_json": TINY_PNG_B64}] * n})
        return 200, {"Content-Type": "application/json"}, body

    upstream.add_callback(responses.POST, DEEPINFRA_URL, callback=answer)
    config = {"retry": {"attempts": 2, "on_status_codes": [502]}}
    res = app.test_client().post(
        URL,
        json={
            "prompt": "a red fox",
            "n": 6,
            "model": "black-forest-labs/FLUX-pro",
            "response_format": "b64_json",  # passed through: read by the merge
        },
        headers={
            "Authorization": f"Bearer {KEY}",
            "x-portkey-provider": "deepinfra",
            "x-portkey-config": json.dumps(config),
        },
    )

    assert res.status_code == 502, res.get_json()
    assert res.get_json()["error"]["code"] == "upstream_invalid_response"
    assert res.headers["x-portkey-retry-attempt-count"] == "0"
    assert sorted(json.loads(call.request.body)["n"] for call in upstream.calls) == [2, 4]
    [row] = log_rows(app)
    # 4 images from the readable call, 1 from the unreadable one: made, maybe billed.
    assert (row["images"], row["cost_micro_usd"]) == (5, 250_000)
