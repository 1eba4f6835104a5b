"""Rate limits and budgets: window math and decisions (stores: tests/unit/store/test_usage.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway.credentials import Team
from gateway.errors import LimitExceeded
from gateway.limits import (
    Hold,
    Limits,
    LimitsUnavailable,
    NoLimits,
    Usage,
    decide,
    estimate,
    of,
    unpriced,
    windows,
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


NOW = at("2026-11-26T03:30:15")
W = windows(NOW)


def test_windows_are_the_utc_minute_day_and_month():
    assert (W.minute, W.day, W.month) == (
        "minute:2026-11-26T03:30",
        "day:2026-11-26",
        "month:2026-11",
    )
    assert W.minute_ends == at("2026-11-26T03:31:00")
    assert W.day_ends == at("2026-11-27T00:00:00")
    assert W.month_ends == at("2026-12-01T00:00:00")


@pytest.mark.parametrize(
    ("moment", "month", "month_ends", "day_ends"),
    [
        ("2026-12-31T23:59:59", "month:2026-12", "2027-01-01T00:00:00", "2027-01-01T00:00:00"),
        ("2028-02-29T12:00:00", "month:2028-02", "2028-03-01T00:00:00", "2028-03-01T00:00:00"),
        ("2027-02-28T12:00:00", "month:2027-02", "2027-03-01T00:00:00", "2027-03-01T00:00:00"),
        ("2027-01-31T00:00:00", "month:2027-01", "2027-02-01T00:00:00", "2027-02-01T00:00:00"),
        ("2027-01-01T00:00:00", "month:2027-01", "2027-02-01T00:00:00", "2027-01-02T00:00:00"),
    ],
)
def test_month_and_day_boundaries(moment, month, month_ends, day_ends):
    w = windows(at(moment))
    assert w.month == month
    assert w.month_ends == at(month_ends)
    assert w.day_ends == at(day_ends)


def test_a_minute_ends_on_the_next_whole_minute_even_at_its_first_second():
    w = windows(at("2026-11-26T03:30:00"))
    assert (w.minute, w.minute_ends) == ("minute:2026-11-26T03:30", at("2026-11-26T03:31:00"))


def refusal(limits, usage, n=1, cost=0, now=NOW):
    return decide(limits, usage, n, cost, windows(now), now)


def test_within_every_limit_nothing_is_refused():
    limits = Limits(rpm=2, ipm=4, daily_micro_usd=100_000, monthly_micro_usd=1_000_000)
    assert refusal(limits, Usage(1, 2, 20_000, 20_000), n=2, cost=80_000) is None
    assert refusal(Limits(), Usage(99, 99, 99, 99), n=10, cost=10**9) is None


@pytest.mark.parametrize(
    ("limits", "usage", "n", "cost", "code", "message", "retry_after", "retry"),
    [
        (
            Limits(rpm=7),
            Usage(requests=7),
            1,
            0,
            "rate_limit_rpm",
            "Rate limit reached: this API key allows 7 requests per minute.",
            45,
            True,
        ),
        (
            Limits(ipm=4),
            Usage(images=3),
            2,
            0,
            "rate_limit_ipm",
            "Rate limit reached: this API key allows 4 images per minute.",
            45,
            True,
        ),
        (
            Limits(ipm=4),
            Usage(),
            5,
            0,
            "rate_limit_ipm",
            "Rate limit reached: this API key allows 4 images per minute; this request asks for 5.",
            45,
            False,
        ),
        (
            Limits(daily_micro_usd=100_000),
            Usage(day_spend=80_000),
            1,
            40_000,
            "budget_daily",
            "Budget reached: this API key may spend $0.10 per UTC day; $0.08 spent, "
            "this request may cost $0.04.",
            73_785,
            False,
        ),
        (
            Limits(daily_micro_usd=100_000),
            Usage(day_spend=100_000),
            1,
            0,
            "budget_daily",
            "Budget reached: this API key may spend $0.10 per UTC day; $0.10 spent.",
            73_785,
            False,
        ),
        (
            Limits(monthly_micro_usd=5_000_000),
            Usage(month_spend=4_990_000),
            1,
            12_500,
            "budget_monthly",
            "Budget reached: this API key may spend $5.00 per UTC month; $4.99 spent, "
            "this request may cost $0.0125.",
            419_385,
            False,
        ),
    ],
)
def test_each_limit_refuses_with_its_code_message_and_wait(
    limits, usage, n, cost, code, message, retry_after, retry
):
    refused = refusal(limits, usage, n=n, cost=cost)
    assert isinstance(refused, LimitExceeded)
    assert refused.to_body() == {
        "error": {
            "message": message,
            "type": "rate_limit_exceeded",
            "param": "n" if (code == "rate_limit_ipm" and not retry) else None,
            "code": code,
        }
    }
    assert refused.status == 429
    assert refused.response_headers() == {
        "Retry-After": str(retry_after),
        "x-should-retry": "true" if retry else "false",
    }


def test_the_request_limit_is_checked_before_images_and_budgets():
    refused = refusal(Limits(rpm=1, ipm=1, daily_micro_usd=0), Usage(1, 1, 1, 1))
    assert refused.code == "rate_limit_rpm"


def test_a_zero_budget_refuses_even_requests_of_unknown_cost():
    assert refusal(Limits(daily_micro_usd=0), Usage(), cost=0).code == "budget_daily"


def test_retry_after_is_at_least_a_second():
    now = at("2026-11-26T03:30:59.9")
    assert refusal(Limits(rpm=1), Usage(requests=1), now=now).retry_after == 1


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ([], (1, 0)),
        ([(1, 40_000)], (1, 40_000)),
        ([(2, None)], (2, 0)),
        ([(1, 80_000), (3, 20_000), (2, None)], (3, 80_000)),
    ],
)
def test_estimate_reserves_the_most_any_target_may_take(asked, expected):
    assert estimate(asked) == expected


def test_a_budget_is_a_daily_or_monthly_limit():
    assert not Limits(rpm=1, ipm=1).has_budget()
    assert Limits(daily_micro_usd=0).has_budget()
    assert Limits(monthly_micro_usd=5).has_budget()
    assert Limits(ipm=1).any()
    assert not Limits().any()


def test_the_limits_come_with_the_authenticated_key():
    team = Team("design", "ak_1", limit_rpm=5, limit_monthly_micro_usd=10)
    assert of(team) == Limits(rpm=5, monthly_micro_usd=10)
    assert of(None) == Limits()


def test_an_unpriced_request_is_a_400_that_names_its_targets():
    refused = unpriced(["openai model 'dall-e-4' (size 1024x1024)", "nscale model 'x' (size auto)"])
    assert (refused.status, refused.code, refused.should_retry) == (
        400,
        "unpriced_request_with_budget",
        False,
    )
    assert refused.message == (
        "No price is known for openai model 'dall-e-4' (size 1024x1024); nscale model 'x' "
        "(size auto). This API key has a spending budget, so it can only use models with a "
        "known price."
    )


def test_no_limits_counts_nothing():
    assert NoLimits().reserve("ak_1", Limits(rpm=1), 1, 1, NOW) == Hold()
    assert NoLimits().settle(Hold("ak_1", "day:x", "month:x", 5), 0) is None


def test_an_unreachable_store_is_a_503_that_names_no_store():
    refused = LimitsUnavailable()
    assert refused.status == 503
    assert refused.to_body() == {
        "error": {
            "message": "The gateway cannot check this API key's limits right now: the limit "
            "store is unreachable. Nothing was sent to a provider; retry shortly.",
            "type": "server_error",
            "param": None,
            "code": "limits_unavailable",
        }
    }
    assert refused.response_headers() == {"Retry-After": "5", "x-should-retry": "true"}
