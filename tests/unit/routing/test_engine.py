"""The engine's strategies: single, fallback, loadbalance, conditional; budget across the tree."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import InvalidRequest
from gateway.routing import engine
from gateway.routing.attempts import AttemptRecord, AttemptResult
from gateway.routing.conditions import NoMatchingTarget
from gateway.routing.nodes import Group, Leaf, Strategy

from .fakes import (
    START,
    FakeClock,
    FixedRandom,
    ambiguous,
    build,
    connect,
    fail,
    lost,
    ok,
    route,
    skipped,
)


def target(provider: str = "openai", **extra: Any) -> dict[str, Any]:
    return {"provider": provider, "api_key": f"sk-test-{provider}", **extra}


def group(mode: str, *targets: dict[str, Any], **strategy: Any) -> dict[str, Any]:
    return {"strategy": {"mode": mode, **strategy}, "targets": list(targets)}


T0, T1, T2 = "config.targets[0]", "config.targets[1]", "config.targets[2]"


def test_single_uses_the_first_target_only():
    outcome, script, _ = route(group("single", target(), target("azure-openai")), {T0: [fail(500)]})
    assert (outcome.leaf.path, outcome.result.status, script.calls) == (T0, 500, [T0])


def test_fallback_moves_on_after_a_non_2xx_and_stops_at_the_first_2xx():
    config = group("fallback", target(), target("azure-openai"), target("stability-ai"))
    outcome, script, _ = route(config, {T0: [fail(500)], T1: [ok()], T2: [ok()]})
    assert (outcome.leaf.path, outcome.leaf.provider, outcome.result.status) == (
        T1,
        "azure-openai",
        200,
    )
    assert script.calls == [T0, T1]


def test_fallback_stops_at_once_on_success():
    outcome, script, _ = route(group("fallback", target(), target()), {T0: [ok(201)]})
    assert (outcome.leaf.path, outcome.result.status, script.calls) == (T0, 201, [T0])


def test_fallback_without_a_list_moves_on_even_after_a_400():
    outcome, script, _ = route(group("fallback", target(), target()), {T0: [fail(400)], T1: [ok()]})
    assert (outcome.result.status, script.calls) == (200, [T0, T1])


@pytest.mark.parametrize(("status", "calls"), [(429, [T0, T1]), (503, [T0, T1]), (500, [T0])])
def test_fallback_with_on_status_codes_moves_on_only_for_those(status, calls):
    config = group("fallback", target(), target(), on_status_codes=[429, 503])
    outcome, script, _ = route(config, {T0: [fail(status)], T1: [ok()]})
    assert script.calls == calls
    assert outcome.leaf.path == calls[-1]


def test_when_every_target_fails_the_last_answer_is_returned():
    config = group("fallback", target(), target(), target())
    outcome, _, _ = route(config, {T0: [fail(500)], T1: [connect()], T2: [fail(503)]})
    assert (outcome.leaf.path, outcome.result.status, outcome.result.payload) == (
        T2,
        503,
        "error 503",
    )


def test_a_skipped_target_moves_on_without_counting_an_attempt():
    config = group("fallback", target(), target("azure-openai"))
    outcome, script, clock = route(
        config, {T0: [skipped("size 256x256")], T1: [ok()]}, max_attempts=1
    )
    assert (outcome.leaf.path, outcome.result.status, script.calls) == (T1, 200, [T0, T1])
    assert outcome.attempts == (
        AttemptRecord(T0, "openai", None, "skipped", START, START, 0, "size 256x256"),
        AttemptRecord(T1, "azure-openai", 200, None, START, START + 1, 0),
    )
    assert clock.sleeps == []


def test_a_skip_moves_on_even_when_on_status_codes_would_stop():
    config = group("fallback", target(), target(), on_status_codes=[429])
    outcome, _, _ = route(config, {T0: [skipped()], T1: [ok()]})
    assert outcome.leaf.path == T1


def test_when_every_target_is_skipped_the_last_skip_is_returned():
    config = group("fallback", target(), target())
    outcome, _, _ = route(config, {T0: [skipped("a")], T1: [skipped("b")]})
    assert (outcome.leaf.path, outcome.result.reason, outcome.retry_count) == (T1, "b", 0)


def test_a_real_failure_is_returned_rather_than_a_later_skip():
    config = group("fallback", target(), target())
    outcome, _, _ = route(config, {T0: [fail(500)], T1: [skipped()]})
    assert (outcome.leaf.path, outcome.result.status) == (T0, 500)


def test_a_connect_failure_always_falls_back():
    config = group("fallback", target(), target(), on_status_codes=[429])
    outcome, _, _ = route(config, {T0: [connect()], T1: [ok()]})
    assert outcome.leaf.path == T1


@pytest.mark.parametrize(
    ("codes", "calls"),
    [({}, [T0]), ({"on_status_codes": [429]}, [T0]), ({"on_status_codes": [429, 408]}, [T0, T1])],
)
def test_an_ambiguous_failure_falls_back_only_when_408_is_listed(codes, calls):
    outcome, script, _ = route(
        group("fallback", target(), target(), **codes), {T0: [ambiguous()], T1: [ok()]}
    )
    assert script.calls == calls
    assert outcome.leaf.path == calls[-1]


@pytest.mark.parametrize(
    ("codes", "calls"),
    [({}, [T0, T1]), ({"on_status_codes": [502]}, [T0, T1]), ({"on_status_codes": [429]}, [T0])],
)
def test_a_lost_connection_falls_back_as_a_502(codes, calls):
    outcome, script, _ = route(
        group("fallback", target(), target(), **codes), {T0: [lost()], T1: [ok()]}
    )
    assert script.calls == calls
    assert outcome.leaf.path == calls[-1]


def test_a_lost_connection_is_not_retried_on_the_same_target_but_falls_back():
    config = group("fallback", target(retry={"attempts": 3}), target())
    outcome, script, _ = route(config, {T0: [lost()], T1: [ok()]})
    assert script.calls == [T0, T1]
    assert (outcome.leaf.path, outcome.result.status) == (T1, 200)
    assert [(a.path, a.failure) for a in outcome.attempts] == [(T0, "lost"), (T1, None)]


def test_each_target_retries_before_the_fallback_moves_on():
    config = group("fallback", target(retry={"attempts": 1}), target())
    outcome, script, clock = route(config, {T0: [fail(503), fail(503)], T1: [ok()]})
    assert script.calls == [T0, T0, T1]
    assert (outcome.leaf.path, outcome.retry_count, clock.sleeps) == (T1, 0, [0.25])
    assert [(a.path, a.status, a.retry_index) for a in outcome.attempts] == [
        (T0, 503, 0),
        (T0, 503, 1),
        (T1, 200, 0),
    ]


def test_the_retry_count_is_the_final_leafs():
    config = group("fallback", target(), target(retry={"attempts": 2}))
    outcome, _, _ = route(config, {T0: [fail(500)], T1: [fail(500), fail(500), fail(500)]})
    assert (outcome.leaf.path, outcome.retry_count) == (T1, -1)


def test_the_attempt_cap_holds_across_the_whole_tree():
    retry = {"attempts": 2}
    config = group("fallback", target(retry=retry), target(retry=retry), target(retry=retry))
    replies = {T0: [fail(500)] * 3, T1: [fail(500)] * 3, T2: [ok()]}
    outcome, script, _ = route(config, replies, max_attempts=4)
    assert script.calls == [T0, T0, T0, T1]
    assert (outcome.leaf.path, outcome.result.status, outcome.retry_count) == (T1, 500, -1)
    assert len(outcome.attempts) == 4


def test_no_new_target_is_tried_after_the_deadline():
    config = group("fallback", target(), target(), target())
    outcome, script, _ = route(config, {T0: [fail(500)], T1: [fail(502)], T2: [ok()]}, deadline=1.5)
    assert script.calls == [T0, T1]  # each call takes 1 s: T1 starts at 1 s, T2 would at 2 s
    assert (outcome.leaf.path, outcome.result.status) == (T1, 502)


def test_the_first_attempt_happens_even_without_time_left():
    outcome, script, _ = route(target(), {"config": [ok()]}, deadline=-1.0)
    assert (outcome.result.status, script.calls) == (200, ["config"])


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (0.0, T0),
        (0.2499, T0),  # 0.2499 * 4 = 0.9996 < 1
        (0.25, T2),
        (0.5, T2),
        (0.9999, T2),
        (1.0, T2),  # rounding past the end: the last target with a weight
    ],
)
def test_loadbalance_picks_by_weight_and_never_weight_zero(value, path):
    config = group("loadbalance", target(weight=1), target(weight=0), target(weight=3))
    rng = FixedRandom(value)
    outcome, script, _ = route(config, {T0: [ok()], T1: [ok()], T2: [ok()]}, rng=rng)
    assert (outcome.leaf.path, script.calls, rng.calls) == (path, [path], 1)


def test_loadbalance_default_weights_are_equal():
    config = group("loadbalance", target(), target(), target())
    picks = [
        route(config, {T0: [ok()], T1: [ok()], T2: [ok()]}, rng=FixedRandom(v))[0].leaf.path
        for v in (0.1, 0.34, 0.66, 0.67)
    ]
    assert picks == [T0, T1, T1, T2]


def test_loadbalance_does_not_fail_over():
    config = group("loadbalance", target(), target())
    outcome, script, _ = route(config, {T0: [fail(503)], T1: [ok()]}, rng=FixedRandom(0.1))
    assert (outcome.result.status, script.calls) == (503, [T0])


def test_loadbalance_over_fallback_groups_fails_over_inside_the_pick():
    config = group(
        "loadbalance",
        group("fallback", target(), target()),
        group("fallback", target(), target()),
    )
    a0, a1 = "config.targets[1].targets[0]", "config.targets[1].targets[1]"
    outcome, script, _ = route(config, {a0: [fail(500)], a1: [ok()]}, rng=FixedRandom(0.9))
    assert (outcome.leaf.path, script.calls) == (a1, [a0, a1])


def test_a_hand_built_loadbalance_with_only_zero_weights_is_a_400_not_a_500():
    plan = Group(
        "config",
        Strategy(mode="loadbalance"),
        (Leaf("config.targets[0]", weight=0.0), Leaf("config.targets[1]", weight=0.0)),
    )
    with pytest.raises(InvalidRequest) as info:
        engine.pick_weighted(plan, FixedRandom(0.5))
    assert (info.value.status, info.value.param) == (400, "config.targets")


CONDITIONAL = group(
    "conditional",
    target(name="cheap"),
    target("stability-ai", name="premium"),
    conditions=[
        {"query": {"metadata.tier": "gold"}, "then": "premium"},
        {"query": {"params.n": {"$gt": 1}}, "then": "cheap"},
    ],
)


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"metadata": {"tier": "gold"}, "params": {"n": 4}}, T1),
        ({"metadata": {"tier": "free"}, "params": {"n": 4}}, T0),
    ],
)
def test_conditional_routes_on_metadata_and_params(context, path):
    outcome, script, _ = route(CONDITIONAL, {T0: [ok()], T1: [ok()]}, context=context)
    assert (outcome.leaf.path, script.calls) == (path, [path])


def test_conditional_uses_the_default():
    config = {**CONDITIONAL, "strategy": {**CONDITIONAL["strategy"], "default": "premium"}}
    outcome, _, _ = route(config, {T1: [ok()]}, context={"metadata": {}, "params": {"n": 1}})
    assert outcome.leaf.path == T1


def test_conditional_without_match_or_default_is_a_400():
    with pytest.raises(NoMatchingTarget) as info:
        route(CONDITIONAL, {}, context={"metadata": {}, "params": {"n": 1}})
    assert (info.value.status, info.value.param, info.value.attempts) == (400, "config", ())


def test_a_late_routing_error_keeps_the_attempts_made_before():
    nested = {**CONDITIONAL, "strategy": {**CONDITIONAL["strategy"]}}
    config = group("fallback", target(), nested)
    with pytest.raises(NoMatchingTarget) as info:
        route(config, {T0: [fail(500)]}, context={"metadata": {}, "params": {}})
    assert info.value.param == T1
    assert [(a.path, a.status) for a in info.value.attempts] == [(T0, 500)]


def test_nested_paths_are_portkeys_last_used_option_index():
    config = group("fallback", target(), group("fallback", target(), target()))
    inner = "config.targets[1].targets[1]"
    outcome, _, _ = route(
        config, {T0: [fail(500)], "config.targets[1].targets[0]": [fail(500)], inner: [ok()]}
    )
    assert outcome.leaf.path == inner


def test_an_exception_from_attempt_propagates():
    def broken(leaf: Leaf) -> AttemptResult:
        raise RuntimeError("transform crashed")

    clock = FakeClock()
    with pytest.raises(RuntimeError, match="transform crashed"):
        engine.run(
            build(target()),
            broken,
            context={},
            clock=clock,
            sleep=clock.sleep,
            rng=FixedRandom(),
            deadline_s=START + 10,
        )


@pytest.mark.parametrize(
    ("attempt", "max_attempts", "message"),
    [
        (lambda leaf: AttemptResult(failure="timeout"), 6, "unknown failure kind 'timeout'"),
        (lambda leaf: AttemptResult(status=200), 0, "max_attempts must be at least 1"),
    ],
)
def test_integrator_mistakes_are_value_errors(attempt, max_attempts, message):
    clock = FakeClock()
    with pytest.raises(ValueError, match=message):
        engine.run(
            build(target()),
            attempt,
            context={},
            clock=clock,
            sleep=clock.sleep,
            rng=FixedRandom(),
            deadline_s=START + 10,
            max_attempts=max_attempts,
        )


@pytest.mark.parametrize(
    ("result", "codes", "expected"),
    [
        (ok(), None, False),
        (ok(204), (200,), False),
        (fail(500), None, True),
        (fail(400), None, True),
        (fail(500), (429,), False),
        (fail(429), (429,), True),
        (skipped(), (429,), True),
        (connect(), (429,), True),
        (ambiguous(), None, False),
        (ambiguous(), (408,), True),
        (AttemptResult(status=200, failure="ambiguous"), None, False),
    ],
)
def test_falls_back(result, codes, expected):
    assert engine.falls_back(result, codes) is expected
