"""The routing engine: walks a plan with Portkey's strategies; no IO of its own.

- ``single``: the first target.
- ``fallback``: targets in order; after each (retries included) stop on a 2xx,
  or when ``on_status_codes`` is given and the status is not in it. A skipped
  target (cannot serve the request, no HTTP call) always moves on; a connect
  failure falls back; a lost connection counts as its status (502); a timeout
  after the request was sent only when 408 is listed.
- ``loadbalance``: one weighted pick per request (weight 0 is never picked);
  no failover unless the pick is itself a fallback group.
- ``conditional``: ``conditions.choose``.
Exceptions raised by ``attempt`` propagate unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidRequest
from .attempts import (
    AMBIGUOUS,
    CONNECT,
    SKIPPED,
    AttemptResult,
    Budget,
    Clock,
    Outcome,
    Random,
    Sleep,
)
from .conditions import NoMatchingTarget, choose
from .nodes import MAX_UPSTREAM_ATTEMPTS, Group, Leaf, PlanNode
from .retry import TIMEOUT_STATUS, Attempt, LeafOutcome, run_leaf


def falls_back(result: AttemptResult, on_status_codes: tuple[int, ...] | None) -> bool:
    """Whether a fallback group moves on to its next target after ``result``."""
    if result.ok:
        return False
    if result.failure in (SKIPPED, CONNECT):
        return True
    if result.failure == AMBIGUOUS:
        # A read timeout after the request was sent may have produced a billed image.
        return on_status_codes is not None and TIMEOUT_STATUS in on_status_codes
    return on_status_codes is None or result.status in on_status_codes


def pick_weighted(group: Group, rng: Random) -> PlanNode:
    """Portkey's pick: ``random() * sum(weights)`` walked down the targets."""
    total = sum(child.weight for child in group.children if child.weight > 0)
    if total <= 0:  # refused at load time; kept for plans built by hand
        raise InvalidRequest(
            "Mode 'loadbalance' needs a target with a weight above 0.",
            param=f"{group.path}.targets",
            code="invalid_config",
        )
    point = rng.random() * total
    chosen = group.children[0]
    for child in group.children:
        if child.weight <= 0:
            continue
        chosen = child
        if point < child.weight:
            break
        point -= child.weight
    return chosen  # the last positive weight if rounding ran past the end


def _fallback(group: Group, attempt: Attempt, context: Any, budget: Budget) -> LeafOutcome | None:
    last: LeafOutcome | None = None
    skipped: LeafOutcome | None = None
    for child in group.children:
        outcome = _run(child, attempt, context, budget)
        if outcome is None:
            break  # no attempts or time left
        if outcome.result.failure == SKIPPED:
            skipped = outcome
            continue
        last = outcome
        if not falls_back(outcome.result, group.strategy.on_status_codes):
            break
    # A real answer says more than "this target could not serve the request".
    return last or skipped


def _run(node: PlanNode, attempt: Attempt, context: Any, budget: Budget) -> LeafOutcome | None:
    if isinstance(node, Leaf):
        return run_leaf(node, attempt, budget)
    mode = node.strategy.mode
    if mode == "fallback":
        return _fallback(node, attempt, context, budget)
    if mode == "loadbalance":
        child = pick_weighted(node, budget.rng)
    elif mode == "conditional":
        child = choose(node.strategy, node.children, context, node.path)
    else:  # single
        child = node.children[0]
    return _run(child, attempt, context, budget)


def run(
    plan: PlanNode,
    attempt: Attempt,
    *,
    context: Mapping[str, Any],
    clock: Clock,
    sleep: Sleep,
    rng: Random,
    deadline_s: float,
    max_attempts: int = MAX_UPSTREAM_ATTEMPTS,
) -> Outcome:
    """Route one request through ``plan``, calling ``attempt(leaf)`` for each try.

    ``context`` is ``{"metadata": {...}, "params": {...}}`` for conditions;
    ``deadline_s`` is absolute, on ``clock``'s scale (``time.monotonic() + 300``).
    The first attempt always happens; later ones need time and attempts left.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    budget = Budget(clock, sleep, rng, deadline_s, max_attempts)
    try:
        final = _run(plan, attempt, context, budget)
    except NoMatchingTarget as exc:
        exc.attempts = tuple(budget.records)  # attempts made before, for the request log
        raise
    if final is None:  # pragma: no cover - the first call is never refused
        raise RuntimeError("routing made no attempt")
    return Outcome(final.result, final.leaf, final.retry_count, tuple(budget.records))
