"""Fan-out: splitting a request into calls, merging their answers, the failure rule."""

from __future__ import annotations

import contextvars
import json
import threading
import time
from concurrent.futures import Future

import pytest

from gateway.errors import (
    GatewayError,
    InvalidRequest,
    InvalidUpstreamResponse,
    ProviderError,
    UpstreamUnavailable,
)
from gateway.models import GeneratedImage, ImageResult
from gateway.outbound import fanout
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.routing.attempts import AMBIGUOUS, CONNECT, LOST, AttemptResult


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
    merged = fanout.merge([first, second, parsed("u3")], "together-ai")
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
    merged = fanout.merge([ImageResult(200, body=body), parsed("u10")], "deepinfra")
    assert [(i.b64_json, i.url, i.revised_prompt) for i in merged.images] == [
        ("QUJD", None, "r"),
        (None, "u9", None),
        (None, "u10", None),
    ]
    assert merged.created == 7


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"data": []}', b'{"data": [{"nothing": 1}]}', b'{"data": [3]}', b"[1]"],
)
def test_a_passed_through_body_without_usable_images_is_an_invalid_answer(body):
    with pytest.raises(InvalidUpstreamResponse) as info:
        fanout.as_images(ImageResult(200, body=body), "deepinfra")
    assert info.value.message.startswith("deepinfra answered HTTP 200 but")
    assert info.value.provider == "deepinfra"


def test_a_passed_through_body_is_read_as_the_provider_answer_itself_is():
    """One reading (``answers.images_from``): an error inside a 2xx, created in ms."""
    with pytest.raises(ProviderError) as info:
        fanout.as_images(ImageResult(200, body=b'{"error": {"message": "busy"}}'), "nscale")
    assert info.value.message == "nscale error: busy"
    body = b'{"created": 1700000000000, "data": [{"url": "u"}], "size": "1024x1024"}'
    read = fanout.as_images(ImageResult(200, body=body), "nscale")
    assert (read.created, read.size, read.body) == (1_700_000_000, "1024x1024", b"")


OK = AttemptResult(status=200, payload="answer")
FAIL = AttemptResult(status=500, payload="failed")
LATE = AttemptResult(status=408, failure=AMBIGUOUS, payload="late")
REFUSED = AttemptResult(failure=CONNECT, payload=UpstreamUnavailable("refused"))


def test_failure_is_the_first_in_call_order_not_in_time():
    late_500 = AttemptResult(status=500, payload="first")
    early_400 = AttemptResult(status=400, payload="second")
    assert fanout.failure([OK, late_500, None, early_400]) == late_500
    assert fanout.failure([OK, None, OK]) is None


def test_any_failed_call_that_must_not_be_retried_keeps_the_target_from_a_retry():
    quota = AttemptResult(status=429, payload="insufficient_quota", no_retry=True)
    merged = fanout.failure([FAIL, quota, OK])
    assert (merged.status, merged.payload, merged.no_retry) == (500, "failed", True)
    assert fanout.failure([FAIL, OK]).no_retry is False


def test_a_connect_failure_gives_way_to_a_failure_that_reached_the_provider():
    merged = fanout.failure([REFUSED, OK, FAIL])
    assert merged == FAIL


def test_a_connect_failure_beside_images_made_is_not_safe_to_retry_blindly():
    merged = fanout.failure([REFUSED, OK, None])
    assert (merged.failure, merged.status, merged.payload) == (LOST, 502, REFUSED.payload)


def test_a_connect_failure_alone_stays_safe_to_retry():
    assert fanout.failure([REFUSED, None, REFUSED]) == REFUSED
    assert fanout.failure([REFUSED, REFUSED]).failure == CONNECT


@pytest.mark.parametrize(
    ("limit", "deadline", "expected"),
    [
        (30.0, None, 30.0),  # one call: the attempt's whole time
        (30.0, 100.0 + 10.0, 10.0),  # a fan-out's call: what is left
        (30.0, 100.0 + 0.5, 0.5),
        (30.0, 100.0 + 0.49, None),  # too little to be answered in: not made
        (30.0, 100.0 - 1.0, None),  # past the deadline
        (0.5, 100.0 + 0.2, 0.2),  # a short request_timeout still calls
        (0.5, 100.0 + 0.1, None),
    ],
)
def test_a_call_gets_what_is_left_and_none_with_too_little(limit, deadline, expected):
    assert fanout.time_left(limit, deadline, now=100.0) == pytest.approx(expected)


def run(send, parts, **kw):
    kw.setdefault("deadline", time.monotonic() + 30)
    kw.setdefault("late", lambda part: LATE)
    return fanout.run(send, parts, **kw)


class Held:
    """A pool whose calls run only when the test runs them: no race decides what starts."""

    def __init__(self, running: tuple[int, ...] = ()) -> None:
        self.tasks: list[tuple[Future, object, tuple]] = []
        self.changed = threading.Condition()
        self.running = running  # calls that start as soon as submitted

    def executor(self) -> Held:
        return self

    def submit(self, fn, *args) -> Future:
        with self.changed:
            self.tasks.append((future := Future(), fn, args))
            if len(self.tasks) - 1 in self.running:
                future.set_running_or_notify_cancel()
            self.changed.notify_all()
        return future

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.tasks) >= count, timeout=5)

    def start(self, index: int) -> None:
        assert self.tasks[index][0].set_running_or_notify_cancel()

    def finish(self, index: int) -> None:
        future, fn, args = self.tasks[index]
        if not future.running():
            self.start(index)
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed to the future, as an executor does
            future.set_exception(exc)


def in_thread(target) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("ran", target()), daemon=True)
    thread.start()
    return thread, out


def test_run_returns_results_in_call_order_whatever_finishes_first():
    last_done = threading.Event()

    def send(i: int) -> AttemptResult:
        if i == 0:
            assert last_done.wait(5)  # call 0 finishes after call 2
        if i == 2:
            last_done.set()
        return AttemptResult(status=200, payload=i)

    ran = run(send, [0, 1, 2])
    assert [r.payload for r in ran.results] == [0, 1, 2]
    assert ran.error is None


def test_run_makes_at_most_parallel_calls_at_once():
    lock, running, peak = threading.Lock(), [0], [0]
    four = threading.Barrier(4, timeout=5)  # passes only with 4 calls in flight at once

    def send(i: int) -> AttemptResult:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        four.wait()
        with lock:
            running[0] -= 1
        return AttemptResult(status=200, payload=i)

    ran = run(send, list(range(8)), parallel=4)
    assert [r.payload for r in ran.results] == list(range(8))
    assert peak[0] == 4


def test_run_starts_no_new_call_after_a_failure():
    started: list[int] = []

    def send(i: int) -> AttemptResult:
        started.append(i)
        return AttemptResult(status=500 if i == 0 else 200, payload=i)

    ran = run(send, list(range(6)), parallel=1)
    assert started == [0]
    assert ran.results[0].status == 500
    assert ran.results[1:] == [None] * 5


def test_after_a_failure_a_call_still_queued_is_cancelled_and_none_is_submitted():
    pool, started = Held(), []

    def send(i: int) -> AttemptResult:
        started.append(i)
        return FAIL

    thread, out = in_thread(lambda: run(send, list(range(4)), parallel=2, pool=pool))
    pool.wait_for(2)
    pool.finish(1)  # fails while call 0 waits for a thread
    thread.join(5)
    assert out["ran"].results == [None, FAIL, None, None]
    assert started == [1]
    assert len(pool.tasks) == 2
    assert pool.tasks[0][0].cancelled()


def test_a_call_still_queued_at_the_deadline_is_not_made_and_is_late():
    pool, lates = Held(), []

    def late(part: int) -> AttemptResult:
        lates.append(part)
        return LATE

    ran = run(lambda i: OK, list(range(6)), pool=pool, deadline=time.monotonic() - 1, late=late)
    assert ran.results == [LATE] * 4 + [None] * 2
    assert lates == [0, 1, 2, 3]
    assert len(pool.tasks) == 4


def test_at_the_deadline_a_running_call_is_waited_for_and_the_queued_ones_are_late():
    pool = Held(running=(0,))  # call 0 is running when the deadline passes
    thread, out = in_thread(
        lambda: run(lambda i: OK, [0, 1], parallel=2, pool=pool, clock=lambda: 1.0, deadline=0.0)
    )
    pool.wait_for(2)
    thread.join(0.2)  # call 0 ends on its own time (its call is bounded by what was left)
    assert thread.is_alive()
    pool.finish(0)
    thread.join(5)
    assert out["ran"].results == [OK, LATE]


def test_an_exception_is_kept_with_the_results_of_the_calls_that_ran():
    pool = Held()

    def send(i: int) -> AttemptResult:
        if i == 1:
            raise InvalidRequest(f"refused {i}")
        return AttemptResult(status=200, payload=i)

    thread, out = in_thread(lambda: run(send, [0, 1, 2, 3], parallel=3, pool=pool))
    pool.wait_for(3)
    pool.finish(0)
    pool.wait_for(4)
    pool.start(2)  # running when call 1 raises: waited for, never left behind
    pool.finish(1)
    thread.join(0.2)
    assert thread.is_alive()
    pool.finish(2)
    thread.join(5)
    ran = out["ran"]
    assert [r and r.payload for r in ran.results] == [0, None, 2, None]
    assert pool.tasks[3][0].cancelled()
    assert isinstance(ran.error, InvalidRequest)
    assert ran.error.message == "refused 1"


def test_the_first_exception_in_call_order_is_the_one_raised_again():
    def send(i: int) -> AttemptResult:
        raise GatewayError(f"refused {i}")

    ran = run(send, [0, 1], parallel=1)
    assert ran.error.message == "refused 0"
    assert ran.results == [None, None]


def test_successive_fan_outs_share_the_pools_threads():
    pool, threads = fanout.Pool(2), set()

    def send(i: int) -> AttemptResult:
        threads.add(threading.get_ident())
        return OK

    for _ in range(3):
        assert run(send, list(range(4)), pool=pool).results == [OK] * 4
    assert len(threads) <= 2
    assert pool.executor()._max_workers == 2
    pool.executor().shutdown()


def test_the_pool_is_made_once_per_process_and_anew_after_a_fork(monkeypatch):
    pool = fanout.Pool(1)
    first = pool.executor()
    assert pool.executor() is first
    monkeypatch.setattr(fanout.os, "getpid", lambda: -1)  # as in a forked child
    second = pool.executor()
    assert second is not first
    assert pool.executor() is second
    first.shutdown()
    second.shutdown()


def test_the_process_pool_is_bounded():
    assert fanout.POOL.threads == fanout.THREADS == 16


_SECRET: contextvars.ContextVar[str] = contextvars.ContextVar("secret", default="none")


def test_each_call_sees_the_callers_context_variables():
    _SECRET.set("sk-request-secret")
    ran = run(lambda i: AttemptResult(status=200, payload=_SECRET.get()), [0, 1, 2])
    assert [r.payload for r in ran.results] == ["sk-request-secret"] * 3


def test_every_table_allows_ten_except_where_the_api_itself_forbids_more():
    from gateway.providers import REGISTRY

    for name, provider in REGISTRY.items():
        caps = provider.capabilities
        for model, spec in caps.models.items():
            assert spec.n_per_call is None or 1 <= spec.n_per_call < spec.n_max, (name, model)
            if spec.n_max != 10:  # OpenAI's dall-e-3 rule, mirrored by its resellers
                assert (model, spec.n_max) == ("dall-e-3", 1), name
