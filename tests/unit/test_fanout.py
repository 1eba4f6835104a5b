"""Fan-out: splitting a request into calls, merging their answers, the failure rule."""

from __future__ import annotations

import contextvars
import json
import threading
import time

import pytest

from gateway import fanout
from gateway.errors import InvalidRequest, InvalidUpstreamResponse
from gateway.models import GeneratedImage, ImageResult
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.routing.attempts import AttemptResult


def request_for(provider: str, **body):
    body = {"prompt": "a red fox", **body}
    return resolve(get(provider).capabilities, body, json.dumps(body).encode())


def parsed(*urls: str, created: int | None = None) -> ImageResult:
    images = tuple(GeneratedImage(url=url) for url in urls)
    return ImageResult(200, images=images, created=created)


@pytest.mark.parametrize(
    ("n", "per_call", "expected"),
    [
        (3, 1, [1, 1, 1]),
        (10, 4, [4, 4, 2]),
        (8, 4, [4, 4]),
        (7, 5, [5, 2]),
        (4, 4, [4]),
        (1, 1, [1]),
        (10, None, [10]),
    ],
)
def test_shares_are_ceil_n_over_per_call_calls(n, per_call, expected):
    assert fanout.shares(n, per_call) == expected


def test_split_asks_each_call_for_its_share_in_every_form_a_provider_reads():
    request = request_for("bedrock", model="amazon.nova-canvas-v1:0", n=7, seed=3)
    first, second = fanout.split(request, 5)
    assert (first.n, second.n) == (5, 2)
    assert first.params == {
        "prompt": "a red fox",
        "model": "amazon.nova-canvas-v1:0",
        "n": 5,
        "seed": 3,
    }
    assert json.loads(second.raw) == {**request.params, "n": 2}
    assert (second.model, second.prompt, second.size) == (
        request.model,
        request.prompt,
        request.size,
    )


def test_split_keeps_the_request_itself_when_one_call_makes_every_image():
    request = request_for("openai", model="dall-e-2", n=3)
    assert fanout.split(request, None)[0] is request
    assert fanout.split(request, 4)[0] is request


def test_per_call_comes_from_the_model_or_the_table_for_unknown_models():
    caps = get("stability-ai").capabilities
    assert caps.per_call("core") == 1
    assert caps.per_call("stable-diffusion-xl-1024-v1-0") is None  # v1: samples 1-10
    assert caps.per_call("sd9-unknown") == 1  # goes to v2beta
    assert get("openai").capabilities.per_call("dall-e-2") is None
    assert get("bedrock").capabilities.per_call("amazon.titan-image-generator-v2:0") == 5


def test_stability_v2beta_accepts_ten_and_dall_e_3_still_only_one():
    assert request_for("stability-ai", n=10).n == 10
    with pytest.raises(InvalidRequest) as info:
        request_for("openai", model="dall-e-3", n=2)
    assert (info.value.param, info.value.status) == ("n", 400)
    assert "only 1" in info.value.message


def test_merge_keeps_call_order_and_takes_created_and_headers_from_the_first():
    first = ImageResult(
        200, headers={"x-request-id": "a"}, images=(GeneratedImage(url="u0"),), created=5
    )
    second = parsed("u1", "u2", created=9)
    merged = fanout.merge([first, second, parsed("u3")])
    assert [image.url for image in merged.images] == ["u0", "u1", "u2", "u3"]
    assert (merged.status, merged.created, merged.headers, merged.body) == (
        200,
        5,
        {"x-request-id": "a"},
        b"",
    )


def test_merge_reads_a_passed_through_openai_body_into_images():
    body = json.dumps(
        {"created": 7, "data": [{"b64_json": "QUJD", "revised_prompt": "r"}, {"url": "u9"}]}
    ).encode()
    merged = fanout.merge([ImageResult(200, body=body), parsed("u10")])
    assert [(i.b64_json, i.url, i.revised_prompt) for i in merged.images] == [
        ("QUJD", None, "r"),
        (None, "u9", None),
        (None, "u10", None),
    ]
    assert merged.created == 7


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"data": []}', b'{"data": [{"nothing": 1}]}', b'{"data": [3]}'],
)
def test_a_passed_through_body_without_usable_images_is_an_invalid_answer(body):
    with pytest.raises(InvalidUpstreamResponse):
        fanout.as_images(ImageResult(200, body=body))


OK = AttemptResult(status=200, payload="answer")


def test_first_failure_is_the_first_in_call_order_not_in_time():
    late_500 = AttemptResult(status=500, payload="first")
    early_400 = AttemptResult(status=400, payload="second")
    assert fanout.first_failure([OK, late_500, None, early_400]) is late_500
    assert fanout.first_failure([OK, None, OK]) is None


def test_run_returns_results_in_call_order_whatever_finishes_first():
    def send(delay: float) -> AttemptResult:
        time.sleep(delay)
        return AttemptResult(status=200, payload=delay)

    results = fanout.run(send, [0.05, 0.0, 0.02])
    assert [r.payload for r in results] == [0.05, 0.0, 0.02]


def test_run_makes_at_most_parallel_calls_at_once():
    lock, running, peak = threading.Lock(), [0], [0]

    def send(i: int) -> AttemptResult:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return AttemptResult(status=200, payload=i)

    results = fanout.run(send, list(range(10)), parallel=4)
    assert [r.payload for r in results] == list(range(10))
    assert peak[0] == 4


def test_run_starts_no_new_call_after_a_failure():
    started: list[int] = []

    def send(i: int) -> AttemptResult:
        started.append(i)
        return AttemptResult(status=500 if i == 0 else 200, payload=i)

    results = fanout.run(send, list(range(6)), parallel=1)
    assert started == [0]
    assert results[0].status == 500
    assert results[1:] == [None] * 5


def test_run_reraises_our_own_refusal():
    def send(i: int) -> AttemptResult:
        raise ValueError(f"refused {i}")

    with pytest.raises(ValueError, match="refused 0"):
        fanout.run(send, [0, 1], parallel=1)


_SECRET: contextvars.ContextVar[str] = contextvars.ContextVar("secret", default="none")


def test_each_call_sees_the_callers_context_variables():
    _SECRET.set("sk-request-secret")
    results = fanout.run(lambda i: AttemptResult(status=200, payload=_SECRET.get()), [0, 1, 2])
    assert [r.payload for r in results] == ["sk-request-secret"] * 3


def test_every_table_allows_ten_except_where_the_api_itself_forbids_more():
    from gateway.providers import REGISTRY

    for name, provider in REGISTRY.items():
        caps = provider.capabilities
        for model, spec in caps.models.items():
            assert spec.n_per_call is None or 1 <= spec.n_per_call < spec.n_max, (name, model)
            if spec.n_max != 10:  # OpenAI's dall-e-3 rule, mirrored by its resellers
                assert (model, spec.n_max) == ("dall-e-3", 1), name
