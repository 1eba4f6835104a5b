"""Retries of one target, safe for billed image generation (REL-1).

Portkey's rules (off unless ``retry.attempts > 0``; only the listed statuses,
default 429/500/502/503/504; ``x-portkey-retry-attempt-count`` 0, N or -1),
with what Portkey lacks: full-jitter backoff (base 0.5 s, factor 2, cap 8 s,
like the OpenAI SDK), a deadline no sleep goes past, one attempt cap for the
whole request, and no retry of a failure after the request was sent (the
image may already be billed) unless the config lists 408.

A provider's ``Retry-After`` is honoured by default: never retry sooner than it
asks, and when its wait would pass the deadline or the cap, stop and hand its
answer (with its ``Retry-After``) back. ``use_retry_after_header: false`` keeps
Portkey's back-off, which ignores it (``retry_after`` reads the wait from a reply's
headers). An exhausted quota is never retried. Pure: no IO.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime

from .attempts import AMBIGUOUS, CONNECT, LOST, SKIPPED, AttemptResult, Budget
from .nodes import Leaf, RetrySettings

BACKOFF_BASE_S = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_CAP_S = 8.0
# Portkey's MAX_RETRY_LIMIT_MS, for one wait and for all Retry-After waits of a request.
MAX_RETRY_AFTER_S = 60.0
TIMEOUT_STATUS = 408  # listing it opts in to retrying ambiguous failures
_NUMBER = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?")

Attempt = Callable[[Leaf], AttemptResult]


@dataclass(frozen=True, slots=True)
class LeafOutcome:
    result: AttemptResult
    leaf: Leaf
    retry_count: int


def retryable(result: AttemptResult, settings: RetrySettings) -> bool:
    """Whether a failed result may be tried again on the same target."""
    if result.no_retry:
        return False
    if result.failure == CONNECT:
        return True
    if result.failure in (AMBIGUOUS, LOST):
        return TIMEOUT_STATUS in settings.codes
    return result.status is not None and result.status in settings.codes


def backoff(retry_index: int, budget: Budget) -> float:
    """Full jitter: uniform in [0, min(cap, base * factor ** retry_index))."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * BACKOFF_FACTOR**retry_index)
    return budget.rng.random() * ceiling


def _wait(
    result: AttemptResult, settings: RetrySettings, index: int, budget: Budget
) -> float | None:
    """Seconds to sleep before the next try, or None to stop retrying this target."""
    remaining = budget.remaining()
    if settings.use_retry_after_header and result.retry_after_s is not None:
        wait = max(0.0, result.retry_after_s)
        total = budget.retry_after_slept_s + wait
        if wait > MAX_RETRY_AFTER_S or total > MAX_RETRY_AFTER_S or wait >= remaining:
            return None  # the provider asks for longer than we may wait
        budget.retry_after_slept_s = total
        return wait
    wait = backoff(index, budget)
    return wait if wait < remaining else None


def run_leaf(leaf: Leaf, attempt: Attempt, budget: Budget) -> LeafOutcome | None:
    """Try ``leaf`` and retry it as its settings allow; None if the budget allowed no call."""
    settings = leaf.retry
    last: AttemptResult | None = None
    index = 0
    while budget.may_attempt():
        last = budget.call(attempt, leaf, index)
        if last.ok or last.failure == SKIPPED:
            return LeafOutcome(last, leaf, index)
        if settings is None or settings.attempts == 0 or not retryable(last, settings):
            return LeafOutcome(last, leaf, index)
        if index >= settings.attempts or not budget.attempts_left():
            return LeafOutcome(last, leaf, -1)  # exhausted (no sleep for nothing)
        wait = _wait(last, settings, index, budget)
        if wait is None:
            return LeafOutcome(last, leaf, -1)
        budget.sleep(wait)
        index += 1
    # Out of attempts or time while a retry was due: reported as exhausted.
    return None if last is None else LeafOutcome(last, leaf, -1)


def retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``x-ms-retry-after-ms`` or ``retry-after``
    (seconds, or an HTTP date: RFC 9110 allows both)."""
    for name, scale in (
        ("retry-after-ms", 1000),
        ("x-ms-retry-after-ms", 1000),
        ("retry-after", 1),
    ):
        value = headers.get(name, "").strip()
        if _NUMBER.fullmatch(value):
            return float(value) / scale
    return _http_date_wait(headers.get("retry-after", "").strip(), now)


def _http_date_wait(value: str, now: Callable[[], float]) -> float | None:
    """``Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`` as seconds from now (0 if past)."""
    if not 20 <= len(value) <= 40:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now())
