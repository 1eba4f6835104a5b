"""Deterministic stand-ins for the clock, sleep, randomness and the upstream call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway.routing import engine, plan
from gateway.routing.attempts import AttemptResult, Outcome
from gateway.routing.nodes import Leaf, PlanNode
from gateway.schemas.config import load_config

START = 1000.0


class FakeClock:
    """``clock()`` reads the time; ``sleep`` records the wait and moves time on."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FixedRandom:
    """Returns the given values in turn, then repeats the last one."""

    def __init__(self, *values: float) -> None:
        self.values = list(values) or [0.0]
        self.calls = 0

    def random(self) -> float:
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return value


class Script:
    """An ``attempt`` function answering from a script per leaf path; each call takes time."""

    def __init__(
        self,
        clock: FakeClock,
        replies: Mapping[str, Sequence[AttemptResult]],
        seconds: float = 1.0,
    ) -> None:
        self.clock = clock
        self.replies = {path: list(items) for path, items in replies.items()}
        self.seconds = seconds
        self.calls: list[str] = []

    def __call__(self, leaf: Leaf) -> AttemptResult:
        self.calls.append(leaf.path)
        result = self.replies[leaf.path].pop(0)
        if result.failure != "skipped":
            self.clock.now += self.seconds
        return result


def ok(status: int = 200) -> AttemptResult:
    return AttemptResult(status=status, payload=f"reply {status}")


def fail(status: int, retry_after_s: float | None = None) -> AttemptResult:
    return AttemptResult(status=status, retry_after_s=retry_after_s, payload=f"error {status}")


def connect() -> AttemptResult:
    return AttemptResult(failure="connect", payload="connect error")


def ambiguous() -> AttemptResult:
    return AttemptResult(failure="ambiguous", payload="read timeout")


def lost() -> AttemptResult:
    """The connection dropped after the request was sent (reported as a 502)."""
    return AttemptResult(status=502, failure="lost", payload="connection reset")


def skipped(reason: str = "size not supported") -> AttemptResult:
    return AttemptResult(failure="skipped", reason=reason, payload="capability error")


def build(config: dict[str, Any]) -> PlanNode:
    return plan.build(load_config(config))


def route(
    config: dict[str, Any],
    replies: Mapping[str, Sequence[AttemptResult]],
    *,
    rng: FixedRandom | None = None,
    clock: FakeClock | None = None,
    deadline: float = 300.0,
    max_attempts: int = 6,
    context: Mapping[str, Any] | None = None,
) -> tuple[Outcome, Script, FakeClock]:
    """Run ``config`` against scripted replies; ``deadline`` is relative to the start."""
    clock = clock or FakeClock()
    script = Script(clock, replies)
    outcome = engine.run(
        build(config),
        script,
        context=context or {"metadata": {}, "params": {}},
        clock=clock,
        sleep=clock.sleep,
        rng=rng or FixedRandom(0.5),
        deadline_s=clock.now + deadline,
        max_attempts=max_attempts,
    )
    return outcome, script, clock
