"""What one upstream attempt returned, the record kept of it, and the per-request budget.

The integrator's ``attempt(leaf)`` does the IO and reports an ``AttemptResult``;
routing only reads its status and failure kind. ``Budget`` is the one mutable
object of a request: it counts upstream attempts across the whole tree, keeps
the deadline, and records every attempt for the request log.
Pure: no IO (the clock, sleep and randomness are the caller's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .nodes import Leaf

CONNECT = "connect"  # nothing reached the provider: safe to retry and to fall back
AMBIGUOUS = "ambiguous"  # timed out after the request was sent: the image may be billed
# The connection dropped (reset, closed) after the request was sent and before a full
# answer: this target failed, and may have billed an image. Not retried (as AMBIGUOUS),
# but another target of a fallback is tried, as Portkey does.
LOST = "lost"
SKIPPED = "skipped"  # this target cannot serve the request; no HTTP call was made
FAILURES = (CONNECT, AMBIGUOUS, LOST, SKIPPED)
# The ``skip_reason`` of an attempt answered from the cache (status 200, no failure): no
# call was made, so it is neither an upstream attempt nor upstream latency. The request
# log keeps it in the ``skip_reason`` column of ``request_attempts`` (no schema change).
CACHE_HIT = "cache hit"


class Random(Protocol):
    """``random.Random`` fits; tests pass a stub returning fixed values."""

    def random(self) -> float: ...


Clock = Callable[[], float]  # seconds, monotonic (time.monotonic)
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """``status`` is None when there is no HTTP status (network failure or skip).

    ``retry_after_s`` is parsed by the integrator from ``retry-after-ms``,
    ``x-ms-retry-after-ms`` or ``retry-after``. ``payload`` is opaque to routing:
    the reply or the error to answer with. ``reason`` says why a target was
    skipped, for the request log. ``cached``: the answer came from the cache, and
    no provider was called. ``no_retry``: asking this target again cannot help
    (an exhausted quota) or may buy a second image (a broken 2xx answer): it is not
    retried, though fallback may move on.
    """

    status: int | None = None
    failure: str | None = None
    retry_after_s: float | None = None
    payload: Any = field(default=None, repr=False)
    reason: str | None = None
    cached: bool = False
    no_retry: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.failure is None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One row of the request log: a call to ``attempt`` (an upstream call unless skipped)."""

    path: str
    provider: str | None
    status: int | None
    failure: str | None
    started: float
    ended: float
    retry_index: int  # 0 for the first try of this leaf, N for its N-th retry
    skip_reason: str | None = None  # why it was skipped, or CACHE_HIT

    @property
    def called(self) -> bool:
        """Whether a provider was called: not for a skipped target or a cache hit."""
        return self.failure != SKIPPED and self.skip_reason != CACHE_HIT


@dataclass(frozen=True, slots=True)
class Outcome:
    """``leaf.path`` is ``x-portkey-last-used-option-index``; ``retry_count`` is
    ``x-portkey-retry-attempt-count`` (0, N, or -1 when retries ran out)."""

    result: AttemptResult
    leaf: Leaf
    retry_count: int
    attempts: tuple[AttemptRecord, ...]


@dataclass
class Budget:
    """Per-request state shared by every leaf of the plan."""

    clock: Clock
    sleep: Sleep
    rng: Random
    deadline_s: float
    max_attempts: int
    upstream_attempts: int = 0
    retry_after_slept_s: float = 0.0
    records: list[AttemptRecord] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline_s - self.clock()

    def attempts_left(self) -> bool:
        return self.upstream_attempts < self.max_attempts

    def may_attempt(self) -> bool:
        """The first call always happens; later ones need attempts and time left."""
        return not self.records or (self.attempts_left() and self.remaining() > 0)

    def call(
        self, attempt: Callable[[Leaf], AttemptResult], leaf: Leaf, retry_index: int
    ) -> AttemptResult:
        started = self.clock()
        result = attempt(leaf)
        if result.failure is not None and result.failure not in FAILURES:
            raise ValueError(f"unknown failure kind {result.failure!r}")  # an integrator bug
        if result.failure != SKIPPED and not result.cached:
            self.upstream_attempts += 1  # a skip or a hit makes no HTTP call: it costs nothing
        reason = result.reason if result.failure == SKIPPED else None
        self.records.append(
            AttemptRecord(
                path=leaf.path,
                provider=leaf.provider,
                status=result.status,
                failure=result.failure,
                started=started,
                ended=self.clock(),
                retry_index=retry_index,
                skip_reason=CACHE_HIT if result.cached else reason,
            )
        )
        return result
