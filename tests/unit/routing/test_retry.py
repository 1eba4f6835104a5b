"""Retries of one target: counts as Portkey reports them, backoff, Retry-After, deadline, cap."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.routing.attempts import CACHE_HIT, AttemptRecord, AttemptResult, Budget
from gateway.routing.nodes import Leaf, RetrySettings
from gateway.routing.retry import backoff, retryable

from .fakes import START, FakeClock, FixedRandom, ambiguous, connect, fail, lost, ok, route, skipped


def single(**retry: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"provider": "openai", "api_key": "sk-test"}
    if retry:
        config["retry"] = retry
    return config


def run_single(replies: list[AttemptResult], retry: dict[str, Any] | None = None, **kw: Any):
    return route(single(**(retry or {})), {"config": replies}, **kw)


@pytest.mark.parametrize("retry", [None, {"attempts": 0}])
def test_no_retry_unless_attempts_above_zero(retry):
    outcome, script, clock = run_single([fail(500)], retry)
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (500, 0, 1)
    assert clock.sleeps == []


def test_success_after_one_retry_counts_one():
    outcome, script, clock = run_single([fail(500), ok()], {"attempts": 2})
    assert (outcome.result.status, outcome.retry_count) == (200, 1)
    assert script.calls == ["config", "config"]
    assert clock.sleeps == [0.25]  # 0.5 (random) * 0.5 s (first ceiling)


def test_exhausted_retries_count_minus_one():
    outcome, script, clock = run_single([fail(502)] * 3, {"attempts": 2})
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (502, -1, 3)
    assert clock.sleeps == [0.25, 0.5]


def test_full_jitter_backoff_doubles_up_to_the_cap():
    outcome, _, clock = run_single([fail(503)] * 6, {"attempts": 5}, rng=FixedRandom(1.0))
    assert outcome.retry_count == -1
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_never_exceeds_eight_seconds():
    budget = Budget(FakeClock(), FakeClock().sleep, FixedRandom(0.75), START + 300, 6)
    assert [backoff(i, budget) for i in (0, 1, 3, 4, 5, 9)] == [0.375, 0.75, 3.0, 6.0, 6.0, 6.0]
    assert backoff(3, Budget(FakeClock(), FakeClock().sleep, FixedRandom(0.0), 0, 6)) == 0.0


def test_a_status_outside_the_list_is_not_retried():
    outcome, script, _ = run_single([fail(400)], {"attempts": 3})
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (400, 0, 1)


def test_a_listed_status_is_retried():
    outcome, _, _ = run_single([fail(400), ok()], {"attempts": 3, "on_status_codes": [400]})
    assert (outcome.result.status, outcome.retry_count) == (200, 1)


def test_an_explicit_list_replaces_the_defaults():
    outcome, script, _ = run_single([fail(500)], {"attempts": 3, "on_status_codes": [429]})
    assert (outcome.retry_count, len(script.calls)) == (0, 1)


def test_a_non_retryable_status_after_retries_reports_the_retries_made():
    outcome, script, _ = run_single([fail(500), fail(500), fail(400)], {"attempts": 3})
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (400, 2, 3)


def test_connect_failures_are_retried_whatever_the_list():
    outcome, _, _ = run_single([connect(), ok()], {"attempts": 1, "on_status_codes": [503]})
    assert (outcome.result.status, outcome.retry_count) == (200, 1)


def test_an_ambiguous_failure_is_not_retried_by_default():
    outcome, script, _ = run_single([ambiguous()], {"attempts": 3})
    assert (outcome.result.failure, outcome.retry_count, len(script.calls)) == ("ambiguous", 0, 1)


def test_a_lost_connection_is_not_retried_by_default():
    outcome, script, _ = run_single([lost(), ok()], {"attempts": 3})
    assert (outcome.result.failure, outcome.retry_count, len(script.calls)) == ("lost", 0, 1)


def test_a_lost_connection_is_retried_only_when_408_is_listed():
    outcome, _, _ = run_single([lost(), ok()], {"attempts": 1, "on_status_codes": [408]})
    assert (outcome.result.status, outcome.retry_count) == (200, 1)


def test_an_ambiguous_failure_is_retried_when_408_is_listed():
    outcome, _, _ = run_single([ambiguous(), ok()], {"attempts": 1, "on_status_codes": [408]})
    assert (outcome.result.status, outcome.retry_count) == (200, 1)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_for_429_and_503(status):
    retry = {"attempts": 2, "use_retry_after_header": True}
    outcome, _, clock = run_single([fail(status, retry_after_s=3.0), ok()], retry)
    assert (outcome.result.status, outcome.retry_count) == (200, 1)
    assert clock.sleeps == [3.0]


def test_retry_after_is_honoured_by_default_and_on_any_retried_status():
    _, _, clock = run_single([fail(500, retry_after_s=3.0), ok()], {"attempts": 2})
    assert clock.sleeps == [3.0]
    _, _, clock = run_single([fail(429, retry_after_s=3.0), ok()], {"attempts": 2})
    assert clock.sleeps == [3.0]


def test_retry_after_is_ignored_only_when_the_config_says_false():
    retry = {"attempts": 2, "use_retry_after_header": False}
    _, _, clock = run_single([fail(429, retry_after_s=3.0), ok()], retry)
    assert clock.sleeps == [0.25]


def test_an_exhausted_quota_is_never_retried():
    quota = AttemptResult(status=429, payload="insufficient_quota", no_retry=True)
    outcome, script, clock = run_single([quota, ok()], {"attempts": 3})
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (429, 0, 1)
    assert clock.sleeps == []


def test_retry_after_missing_falls_back_to_backoff():
    retry = {"attempts": 2, "use_retry_after_header": True}
    _, _, clock = run_single([fail(429), ok()], retry)
    assert clock.sleeps == [0.25]


def test_retry_after_up_to_sixty_seconds_is_waited():
    retry = {"attempts": 1, "use_retry_after_header": True}
    outcome, _, clock = run_single([fail(429, retry_after_s=60.0), ok()], retry)
    assert (outcome.retry_count, clock.sleeps) == (1, [60.0])


def test_retry_after_above_sixty_seconds_stops_with_minus_one():
    retry = {"attempts": 3, "use_retry_after_header": True}
    outcome, script, clock = run_single([fail(429, retry_after_s=61.0)], retry)
    assert (outcome.result.status, outcome.retry_count, len(script.calls)) == (429, -1, 1)
    assert clock.sleeps == []


def test_retry_after_waits_are_capped_at_sixty_seconds_per_request():
    retry = {"attempts": 3, "use_retry_after_header": True}
    replies = [fail(429, retry_after_s=40.0), fail(429, retry_after_s=30.0)]
    outcome, script, clock = run_single(replies, retry)
    assert (outcome.retry_count, len(script.calls), clock.sleeps) == (-1, 2, [40.0])


def test_retry_after_beyond_the_deadline_stops_with_minus_one():
    retry = {"attempts": 3, "use_retry_after_header": True}
    outcome, _, clock = run_single([fail(429, retry_after_s=9.5)], retry, deadline=10.0)
    assert (outcome.retry_count, clock.sleeps) == (-1, [])  # 9 s were left after the call


def test_a_negative_retry_after_means_now():
    retry = {"attempts": 1, "use_retry_after_header": True}
    _, _, clock = run_single([fail(503, retry_after_s=-5.0), ok()], retry)
    assert clock.sleeps == [0.0]


def test_no_backoff_sleeps_past_the_deadline():
    retry = {"attempts": 5}
    outcome, script, clock = run_single([fail(500)] * 6, retry, rng=FixedRandom(1.0), deadline=4.2)
    # t=1 after call 1, sleep 0.5; t=2.5 after call 2, sleep 1; t=4.5 after call 3: past it.
    assert (outcome.retry_count, len(script.calls), clock.sleeps) == (-1, 3, [0.5, 1.0])
    assert clock.now == START + 4.5


def test_the_attempt_cap_stops_retries_without_sleeping_for_nothing():
    outcome, script, clock = run_single([fail(500)] * 6, {"attempts": 5}, max_attempts=3)
    assert (outcome.retry_count, len(script.calls), clock.sleeps) == (-1, 3, [0.25, 0.5])


def test_a_skip_is_not_retried_and_reports_zero():
    outcome, _, clock = run_single([skipped("n > 1")], {"attempts": 3})
    assert (outcome.result.failure, outcome.retry_count, clock.sleeps) == ("skipped", 0, [])
    assert outcome.attempts[0].skip_reason == "n > 1"


def test_each_try_is_recorded_with_its_retry_index_and_times():
    outcome, _, _ = run_single([fail(429), connect(), ok(201)], {"attempts": 2})
    assert outcome.attempts == (
        AttemptRecord("config", "openai", 429, None, START, START + 1, 0),
        AttemptRecord("config", "openai", None, "connect", START + 1.25, START + 2.25, 1),
        AttemptRecord("config", "openai", 201, None, START + 2.75, START + 3.75, 2),
    )
    assert (outcome.retry_count, outcome.result.payload) == (2, "reply 201")


@pytest.mark.parametrize(
    ("result", "codes", "expected"),
    [
        (fail(429), None, True),
        (fail(504), None, True),
        (fail(400), None, False),
        (fail(408), None, False),
        (fail(408), (408,), True),
        (connect(), (), True),
        (ambiguous(), None, False),
        (ambiguous(), (429, 408), True),
    ],
)
def test_retryable(result, codes, expected):
    assert retryable(result, RetrySettings(attempts=1, on_status_codes=codes)) is expected


def test_a_cache_hit_is_recorded_as_one_and_is_no_upstream_attempt():
    budget = Budget(FakeClock(), FakeClock().sleep, FixedRandom(0.5), START + 300, 6)
    leaf = Leaf(path="config", provider="openai")
    budget.call(lambda _: AttemptResult(status=500), leaf, 0)
    budget.call(lambda _: AttemptResult(status=200, cached=True), leaf, 1)
    called, hit = budget.records
    assert (hit.status, hit.failure, hit.skip_reason) == (200, None, CACHE_HIT)
    assert CACHE_HIT == "cache hit"
    assert (called.called, hit.called) == (True, False)
    assert budget.upstream_attempts == 1
