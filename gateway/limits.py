"""Rate limits and budgets per gateway API key, held exactly across workers and instances.

A key may have any of: requests per minute, images per minute, spend per UTC day,
spend per UTC month (``api_keys.limit_*``; ``gateway api-keys limits``). They are
per key, not per team: a team's three keys have three budgets. They come with the
authenticated key (``credentials.Team``, read with it), so the store does not read
``api_keys`` again. Windows are fixed: the current UTC minute, day and month.
Before routing, one atomic step reads the key's windows, refuses the request if any
limit would be exceeded, and otherwise reserves it: one request, its ``n`` images and
its estimated cost (the highest price x ``n`` among its targets; ``auto`` at its
dearest choice). After the answer the spend is settled to the actual cost (0 for a
failure or a cache hit); requests and images stay counted, as asked.

A key with a budget is refused a request none of whose targets has a price
(:func:`unpriced`, a 400), unless ``GATEWAY_UNPRICED_IMAGE_USD`` gives a price per
image to estimate and charge such images with.

``decide`` and ``windows`` are pure and shared by every store: the real ones are
``gateway.store.usage.DatabaseUsageStore`` (SQLite or PostgreSQL, one transaction per
reservation) and ``gateway.store.redis_usage.RedisUsageStore`` (one Lua script per
reservation, with ``GATEWAY_REDIS_URL``); :class:`MemoryUsageStore` is their fake and
:class:`NoLimits` the store of an app without keys. Requests without a gateway key are
never limited. A store that cannot be reached refuses with :class:`LimitsUnavailable`
(503): a request whose limits cannot be checked is never admitted.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from .cost import dollars
from .errors import GatewayError, InvalidRequest, LimitExceeded


@dataclass(frozen=True, slots=True)
class Limits:
    """A key's limits; None means no limit of that kind."""

    rpm: int | None = None
    ipm: int | None = None
    daily_micro_usd: int | None = None
    monthly_micro_usd: int | None = None

    def any(self) -> bool:
        return self.rpm is not None or self.ipm is not None or self.has_budget()

    def has_budget(self) -> bool:
        return self.daily_micro_usd is not None or self.monthly_micro_usd is not None


class LimitedKey(Protocol):
    """An authenticated gateway key as the limits see it (``credentials.Team``)."""

    @property
    def limit_rpm(self) -> int | None: ...

    @property
    def limit_ipm(self) -> int | None: ...

    @property
    def limit_daily_micro_usd(self) -> int | None: ...

    @property
    def limit_monthly_micro_usd(self) -> int | None: ...


def of(key: LimitedKey | None) -> Limits:
    """The limits an authenticated key carries; none without a key."""
    if key is None:
        return Limits()
    return Limits(
        key.limit_rpm, key.limit_ipm, key.limit_daily_micro_usd, key.limit_monthly_micro_usd
    )


@dataclass(frozen=True, slots=True)
class Windows:
    """The fixed UTC windows a moment falls in, and when each ends (Unix seconds)."""

    minute: str
    minute_ends: float
    day: str
    day_ends: float
    month: str
    month_ends: float


def windows(now: float) -> Windows:
    t = datetime.fromtimestamp(now, timezone.utc)
    day = datetime(t.year, t.month, t.day, tzinfo=timezone.utc)
    month_ends = datetime(t.year + t.month // 12, t.month % 12 + 1, 1, tzinfo=timezone.utc)
    return Windows(
        minute=f"minute:{t:%Y-%m-%dT%H:%M}",
        minute_ends=math.floor(now / 60) * 60 + 60.0,
        day=f"day:{t:%Y-%m-%d}",
        day_ends=(day + timedelta(days=1)).timestamp(),
        month=f"month:{t:%Y-%m}",
        month_ends=month_ends.timestamp(),
    )


@dataclass(frozen=True, slots=True)
class Usage:
    """What a key has used so far in the current windows."""

    requests: int = 0  # this minute
    images: int = 0  # this minute
    day_spend: int = 0
    month_spend: int = 0


def _money(micro_usd: int) -> str:
    """``$0.12``, ``$5.00``, ``$0.0125``: a limit as an operator wrote it."""
    whole, _, frac = dollars(micro_usd).partition(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


def _wait(ends: float, now: float) -> int:
    return max(1, math.ceil(ends - now))


def decide(
    limits: Limits, usage: Usage, n: int, estimate: int, w: Windows, now: float
) -> LimitExceeded | None:
    """The refusal for one more request of ``n`` images costing ``estimate``, or None."""
    if limits.rpm is not None and usage.requests + 1 > limits.rpm:
        return LimitExceeded(
            f"Rate limit reached: this API key allows {limits.rpm} requests per minute.",
            code="rate_limit_rpm",
            retry_after=_wait(w.minute_ends, now),
            should_retry=True,
        )
    if limits.ipm is not None and usage.images + n > limits.ipm:
        never = n > limits.ipm  # this request alone is over the limit: waiting will not help
        return LimitExceeded(
            f"Rate limit reached: this API key allows {limits.ipm} images per minute"
            + (f"; this request asks for {n}." if never else "."),
            code="rate_limit_ipm",
            param="n" if never else None,
            retry_after=_wait(w.minute_ends, now),
            should_retry=not never,
        )
    budgets = (
        ("daily", "UTC day", limits.daily_micro_usd, usage.day_spend, w.day_ends),
        ("monthly", "UTC month", limits.monthly_micro_usd, usage.month_spend, w.month_ends),
    )
    for kind, period, limit, spent, ends in budgets:
        if limit is not None and (spent >= limit or spent + estimate > limit):
            return LimitExceeded(
                f"Budget reached: this API key may spend {_money(limit)} per {period}; "
                f"{_money(spent)} spent"
                + (f", this request may cost {_money(estimate)}." if spent < limit else "."),
                code=f"budget_{kind}",
                retry_after=_wait(ends, now),
                should_retry=False,
            )
    return None


def estimate(asked: Iterable[tuple[int, int | None]]) -> tuple[int, int]:
    """(n, cost) to reserve from each target's (n, price per image): the most any may take."""
    pairs = list(asked)
    n = max((count for count, _ in pairs), default=1)
    cost = max((count * price for count, price in pairs if price is not None), default=0)
    return n, cost


def unpriced(targets: Sequence[str]) -> InvalidRequest:
    """The refusal of a request none of whose ``targets`` has a price, for a key with a budget."""
    return InvalidRequest(
        f"No price is known for {'; '.join(targets)}. This API key has a spending budget, "
        "so it can only use models with a known price.",
        code="unpriced_request_with_budget",
    )


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation to settle once the request's cost is known (key None: nothing held)."""

    key_id: str | None = None
    day: str = ""
    month: str = ""
    estimate: int = 0


class LimitsUnavailable(GatewayError):
    """The store that holds the limits cannot be reached: the request is refused, never
    admitted unchecked. Nothing reached a provider, so a retry is safe. The message names
    no URL (it may hold a password); the store logs the cause."""

    status = 503
    type = "server_error"
    code = "limits_unavailable"
    should_retry = True
    retry_after = 5

    def __init__(self) -> None:
        super().__init__(
            "The gateway cannot check this API key's limits right now: the limit store is "
            "unreachable. Nothing was sent to a provider; retry shortly.",
            headers={"Retry-After": str(self.retry_after)},
        )


class UsageStore(Protocol):
    def reserve(self, key_id: str, limits: Limits, n: int, estimate: int, now: float) -> Hold:
        """Count the request or raise :class:`LimitExceeded`; atomic across workers and
        instances. Raises :class:`LimitsUnavailable` when the store cannot be reached."""

    def settle(self, hold: Hold, spent: int) -> None:
        """Replace the held estimate by what the request actually cost; never raises (a
        settle that fails is logged with the key and the amount)."""


class NoLimits:
    """The store of an app without gateway keys: nothing is limited or counted."""

    def reserve(self, key_id: str, limits: Limits, n: int, estimate: int, now: float) -> Hold:
        return Hold()

    def settle(self, hold: Hold, spent: int) -> None:
        return None


def usage_of(rows: Mapping[str, tuple[int, int, int]], w: Windows) -> Usage:
    """Usage from ``window -> (requests, images, spend)`` rows of one key (absent: 0)."""
    requests, images, _ = rows.get(w.minute, (0, 0, 0))
    return Usage(requests, images, rows.get(w.day, (0, 0, 0))[2], rows.get(w.month, (0, 0, 0))[2])


def additions(w: Windows, n: int, estimate: int) -> list[tuple[str, int, int, float]]:
    """(window, images, spend, expires_at) to add for one admitted request."""
    return [
        (w.minute, n, estimate, w.minute_ends),
        (w.day, n, estimate, w.day_ends),
        (w.month, n, estimate, w.month_ends),
    ]


class MemoryUsageStore:
    """The fake: the same decisions over a dict, for unit and functional tests."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[float]] = {}  # requests, images, spend, expires
        self._lock = threading.Lock()

    def reserve(self, key_id: str, limits: Limits, n: int, estimate: int, now: float) -> Hold:
        if not limits.any():
            return Hold()
        w = windows(now)
        with self._lock:
            mine = {
                win: (int(r[0]), int(r[1]), int(r[2]))
                for (k, win), r in self.rows.items()
                if k == key_id
            }
            refusal = decide(limits, usage_of(mine, w), n, estimate, w, now)
            if refusal is not None:
                raise refusal
            for window, images, spend, expires in additions(w, n, estimate):
                row = self.rows.setdefault((key_id, window), [0, 0, 0, expires])
                row[0], row[1], row[2] = row[0] + 1, row[1] + images, row[2] + spend
            for key in [k for k, r in self.rows.items() if r[3] <= now]:
                del self.rows[key]
        return Hold(key_id, w.day, w.month, estimate)

    def settle(self, hold: Hold, spent: int) -> None:
        if hold.key_id is None:
            return
        with self._lock:
            for window in (hold.day, hold.month):
                row = self.rows.get((hold.key_id, window))
                if row is not None:
                    row[2] = max(0, row[2] + spent - hold.estimate)
