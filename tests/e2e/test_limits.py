"""Rate limits and budgets hold exactly under concurrent requests to two gunicorn workers.

Every request of a burst goes on its own connection, so both workers take them; the
limits are shared through SQLite, so the count is exact whichever worker answers.
A minute (or day) that ends during a burst would open a new window, so a burst that
straddles one is run again with a fresh key (bounded), instead of waiting for a
fresh window.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import poll

PROVIDER_KEY = "sk-e2e-limits-0123456789"
BURST_ATTEMPTS = 3


@pytest.fixture(scope="module")
def gateway(start_gateway):
    return start_gateway(GATEWAY_WORKERS="2", GATEWAY_THREADS="16")


def new_key(gateway, team: str, *limits: str) -> str:
    created = gateway.cli("api-keys", "create", "--name", team)
    assert created.returncode == 0, created.stderr
    done = gateway.cli("api-keys", "limits", team, *limits)
    assert done.returncode == 0, done.stderr
    return created.stdout.strip()


def one(gateway, key: str, provider: str, body: dict) -> tuple[int, str | None, str | None]:
    res = requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "x-portkey-api-key": key,
            "x-portkey-provider": provider,
            "Authorization": f"Bearer {PROVIDER_KEY}",
            "Connection": "close",
        },
        timeout=30,
    )
    code = res.json()["error"]["code"] if res.status_code != 200 else None
    return res.status_code, code, res.headers.get("Retry-After")


def burst(
    gateway, team: str, limits: tuple[str, ...], count: int, provider: str, body: dict, window: int
):
    """``count`` concurrent requests under a fresh key; retried if a window ended meanwhile."""
    for attempt in range(BURST_ATTEMPTS):
        key = new_key(gateway, f"{team}-{attempt}", *limits)
        started = time.time()
        with ThreadPoolExecutor(max_workers=count) as pool:
            futures = [pool.submit(one, gateway, key, provider, body) for _ in range(count)]
            results = [future.result() for future in futures]
        if int(started // window) == int(time.time() // window):
            return f"{team}-{attempt}", key, results
    pytest.fail(f"every burst straddled a {window}-second window")


def test_a_rate_limit_holds_exactly_across_workers(gateway):
    body = {"prompt": "a red fox", "size": "64x64"}
    team, _, results = burst(gateway, "burst", ("--rpm", "7"), 20, "placeholder", body, window=60)
    statuses = Counter((status, code) for status, code, _ in results)
    assert statuses == {(200, None): 7, (429, "rate_limit_rpm"): 13}
    waits = {int(wait) for status, _, wait in results if status == 429}
    assert all(1 <= wait <= 60 for wait in waits)

    # The request log is written by a background thread: wait for all 20 rows (bounded).
    def mine():
        return Counter(r["status"] for r in gateway.log_rows() if r["team"] == team)

    poll(lambda: sum(mine().values()) == 20, 5.0)
    assert mine() == {200: 7, 429: 13}


def test_a_daily_budget_admits_exactly_what_it_can_pay_for(gateway):
    # dall-e-3 standard 1024x1024 is $0.04: a $0.20 budget pays for exactly 5.
    body = {"model": "dall-e-3", "prompt": "a red fox"}
    team, key, results = burst(
        gateway, "budget", ("--daily-usd", "0.20"), 15, "openai", body, window=86_400
    )
    statuses = Counter((status, code) for status, code, _ in results)
    assert statuses == {(200, None): 5, (429, "budget_daily"): 10}

    rows = poll(lambda: len([r for r in gateway.log_rows() if r["team"] == team]) == 15, 5.0)
    assert rows, "the request log did not get all 15 rows"
    report = gateway.cli_json("usage", "--days", "1", "--team", team, "--json")
    assert [
        (r["requests"], r["errors"], r["images"], r["spend_micro_usd"], r["spend_usd"])
        for r in report
    ] == [(15, 10, 5, 200_000, "0.200000")]
    # Spent: one more request is refused at once, and reaches no provider.
    assert one(gateway, key, "openai", body)[:2] == (429, "budget_daily")
