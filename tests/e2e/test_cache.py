"""The simple cache under gunicorn with 2 workers and the fake provider: one entry serves
every worker, and the status header says HIT, MISS, REFRESH or DISABLED."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import poll
from tests.e2e.fake_provider import TINY_PNG_B64

KEY = "sk-e2e-cache-0123456789abcdef"
SIMPLE = json.dumps({"cache": {"mode": "simple"}})
PATH = "/v1/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway):
    return start_gateway(GATEWAY_WORKERS="2", GATEWAY_THREADS="8")


@pytest.fixture(scope="module")
def one_request_workers(start_gateway):
    # Every worker exits after one request and gunicorn forks a new one, so two requests
    # in a row are always served by two different processes.
    return start_gateway(
        GATEWAY_WORKERS="2", GATEWAY_MAX_REQUESTS="1", GATEWAY_MAX_REQUESTS_JITTER="0"
    )


def post(gateway, prompt, config=SIMPLE, **headers):
    sent = {"Authorization": f"Bearer {KEY}", "Connection": "close", **headers}
    if config is not None:
        sent["x-portkey-config"] = config
    body = {"model": "dall-e-2", "prompt": prompt, "n": 2, "response_format": "b64_json"}
    res = requests.post(gateway.url(PATH), json=body, headers=sent, timeout=30)
    assert res.status_code == 200, res.text
    return res


def served_by(gateway, request_id, timeout=15.0):
    """The worker pid of the access line for ``request_id`` (``INFO [pid] gateway.access``),
    waiting for the line to reach the log; None if it never does."""
    pattern = re.compile(r"\[(\d+)\] gateway\.access: (\{.*\})")
    deadline = time.monotonic() + timeout
    while True:
        for line in gateway.stdout_text().splitlines():
            found = pattern.search(line)
            if found and json.loads(found.group(2))["request_id"] == request_id:
                return int(found.group(1))
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def upstream_calls(fake_provider):
    return [r for r in fake_provider.requests if r.path == PATH]


def test_an_entry_stored_by_one_worker_is_a_hit_in_another(one_request_workers, fake_provider):
    gateway = one_request_workers
    miss = post(gateway, "a hit across workers")
    assert miss.headers["x-portkey-cache-status"] == "MISS"
    stored_by = served_by(gateway, miss.headers["x-request-id"])
    assert stored_by is not None
    # Each post is a new connection (Connection: close), and a worker exits after one
    # request, but which process accepts the next connection is the kernel's choice:
    # post again, a bounded number of times, until another worker serves.
    for _ in range(20):
        hit = post(gateway, "a hit across workers")
        pid = served_by(gateway, hit.headers["x-request-id"])
        assert pid is not None
        if pid != stored_by:
            break
    assert pid != stored_by, "every request was served by the worker that stored the entry"
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.json() == miss.json()
    assert [item["b64_json"] for item in hit.json()["data"]] == [TINY_PNG_B64] * 2
    assert len(upstream_calls(fake_provider)) == 1
    wanted = {miss.headers["x-request-id"], hit.headers["x-request-id"]}

    def rows():  # the request log is written by a background thread: poll (bounded)
        return {r["request_id"]: r["cache_status"] for r in gateway.log_rows()}

    poll(lambda: wanted <= set(rows()), 15.0)
    rows = rows()
    assert rows[miss.headers["x-request-id"]] == "MISS"
    assert rows[hit.headers["x-request-id"]] == "HIT"


def test_status_header_values(gateway, fake_provider):
    statuses = [
        post(gateway, "statuses").headers["x-portkey-cache-status"],
        post(gateway, "statuses").headers["x-portkey-cache-status"],
        post(gateway, "statuses", **{"x-portkey-cache-force-refresh": "true"}).headers[
            "x-portkey-cache-status"
        ],
        post(gateway, "statuses").headers["x-portkey-cache-status"],
        post(gateway, "statuses", config=None).headers["x-portkey-cache-status"],
    ]
    assert statuses == ["MISS", "HIT", "REFRESH", "HIT", "DISABLED"]
    assert len(upstream_calls(fake_provider)) == 3  # MISS, REFRESH and DISABLED


def test_concurrent_identical_requests_store_one_entry(gateway, fake_provider):
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post(gateway, "all at once"), range(8)))
    statuses = [res.headers["x-portkey-cache-status"] for res in answers]
    assert set(statuses) <= {"MISS", "HIT"}
    assert len(upstream_calls(fake_provider)) == statuses.count("MISS")
    assert len({res.content for res in answers}) == 1
    assert post(gateway, "all at once").headers["x-portkey-cache-status"] == "HIT"
    assert len(upstream_calls(fake_provider)) == statuses.count("MISS")


def test_cli_stats_and_clear_against_a_running_gateway(gateway, fake_provider):
    post(gateway, "for the cli")
    stats = gateway.cli_json("cache", "stats", "--json")
    assert stats["entries"] >= 1
    assert stats["files"] == 1  # every answer of the fake is the same PNG: one file
    assert stats["file_bytes"] == len(TINY_PNG_B64)  # kept as its base64 text
    done = gateway.cli("cache", "clear")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"removed {stats['entries']} entries\n"
    assert gateway.cli_json("cache", "stats", "--json")["entries"] == 0
    assert post(gateway, "for the cli").headers["x-portkey-cache-status"] == "MISS"
