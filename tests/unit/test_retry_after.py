"""Parsing a provider's wait (``Retry-After`` and friends) and its quota errors."""

from __future__ import annotations

import pytest

from gateway.models import ProviderReply
from gateway.providers.errors import openai_style_error, quota_exhausted
from gateway.routing.retry import retry_after

NOW = 1_790_000_000.0  # Mon, 21 Sep 2026 14:13:20 GMT


def clock() -> float:
    return NOW


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": " 0.5 "}, 0.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"x-ms-retry-after-ms": "250"}, 0.25),
        ({"retry-after": "Mon, 21 Sep 2026 14:13:50 GMT"}, 30.0),
        ({"retry-after": "Mon, 21 Sep 2026 14:13:50 -0000"}, 30.0),
        ({"retry-after": "Sun, 20 Sep 2026 12:00:00 GMT"}, 0.0),  # in the past: now
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "Mon, 99 Foo 2026 12:53:50 GMT"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers, seconds):
    assert retry_after(headers, clock) == seconds


@pytest.mark.parametrize(
    ("code", "kind", "message", "expected"),
    [
        ("insufficient_quota", "insufficient_quota", "You exceeded your current quota.", True),
        ("credit_balance_exhausted", None, "No credits.", True),
        (None, "insufficient_quota", "x", True),
        (None, None, "You exceeded your current quota, please check your plan.", True),
        ("billing_hard_limit_reached", "invalid_request_error", "Billing hard limit.", True),
        ("rate_limit_exceeded", "requests", "Rate limit reached for images per minute.", False),
        (None, None, None, False),
    ],
)
def test_quota_exhausted(code, kind, message, expected):
    assert quota_exhausted(code, kind, message) is expected


def test_a_quota_429_is_marked_and_tells_clients_not_to_retry():
    body = b'{"error":{"message":"You exceeded your current quota.","code":"insufficient_quota"}}'
    reply = ProviderReply(429, {"content-type": "application/json", "retry-after": "1"}, body)
    error = openai_style_error("openai", reply)
    assert (error.status, error.code, error.quota_exhausted, error.should_retry) == (
        429,
        "insufficient_quota",
        True,
        False,
    )
