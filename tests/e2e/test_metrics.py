"""GET /metrics under gunicorn with two workers: exact totals across workers, totals kept
over a HUP reload (exited workers are folded into archive files), reset by a restart."""

from __future__ import annotations

import json
import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

if __package__:
    from .conftest import Gateway, _child_pids, free_port, poll
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import Gateway, _child_pids, free_port, poll

URL = "/v1/images/generations"
KEY = "sk-e2e-metrics-0123456789"
PROMPT = "a lighthouse at dusk for customer 4711"
BODY = {"prompt": PROMPT, "size": "64x64", "response_format": "b64_json"}
PLACEHOLDER = {"x-portkey-provider": "placeholder", "x-portkey-trace-id": "metrics-e2e-trace"}
ROUNDS = 10  # rounds of concurrent requests at most, until both workers have served
PER_ROUND = 6
RELOAD_TIMEOUT = 20.0


@dataclass
class Sent:
    ok: int  # placeholder successes, one image each
    worker_pids: set[int]


def post(gateway: Gateway, body: dict, headers: dict[str, str]) -> requests.Response:
    """One request on its own connection, so that any worker may take it."""
    with requests.Session() as session:
        session.trust_env = False
        return session.post(
            gateway.url(URL), json=body, headers={**headers, "Connection": "close"}, timeout=30
        )


def scrape(gateway: Gateway) -> tuple[str, dict]:
    with requests.Session() as session:
        session.trust_env = False
        res = session.get(gateway.url("/metrics"), headers={"Connection": "close"}, timeout=10)
    assert res.status_code == 200, res.text
    got = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(res.text)
        for s in family.samples
    }
    return res.text, got


def requests_total(
    got: dict, provider: str, model: str, status: str, route: str = "generations"
) -> float | None:
    key = (("model", model), ("provider", provider), ("route", route), ("status", status))
    return got.get(("gateway_image_requests_total", key))


def metric_files(gateway: Gateway) -> list[str]:
    return sorted(p.name for p in (gateway.data_dir / "metrics").glob("*.db"))


def pids_with_files(gateway: Gateway) -> set[int]:
    """Processes that have counted something: prometheus_client's counter_<pid>.db files."""
    return {int(m[1]) for n in metric_files(gateway) if (m := re.match(r"counter_(\d+)\.db$", n))}


def placeholder_round(gateway: Gateway) -> int:
    with ThreadPoolExecutor(PER_ROUND) as pool:
        answers = list(pool.map(lambda _: post(gateway, BODY, PLACEHOLDER), range(PER_ROUND)))
    assert [a.status_code for a in answers] == [200] * PER_ROUND
    return PER_ROUND


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(
        GATEWAY_WORKERS="2",
        GATEWAY_THREADS="4",
        GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url,
    )


@pytest.fixture(scope="module")
def sent(gateway, fake_provider) -> Sent:
    """A known mix: placeholder successes until both workers served, 2 errors, 1 fallback."""
    ok = 0
    for _ in range(ROUNDS):
        ok += placeholder_round(gateway)
        if len(pids_with_files(gateway)) == 2:
            break
    workers = pids_with_files(gateway)
    assert workers == set(_child_pids(gateway.pid)), "both workers should have served"
    bad_size = post(gateway, {**BODY, "size": "10x10"}, PLACEHOLDER)
    assert bad_size.status_code == 400
    unknown = post(gateway, BODY, {"x-portkey-provider": "sk-planted-" + KEY})
    assert unknown.status_code == 400
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {
                "provider": "openai",
                "api_key": KEY,
                "custom_host": fake_provider.upstream("status/503"),
            },
            {"provider": "placeholder"},
        ],
    }
    fallback = post(gateway, {**BODY, "size": "256x256"}, {"x-portkey-config": json.dumps(config)})
    assert fallback.status_code == 200
    assert fallback.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    return Sent(ok=ok, worker_pids=workers)


def assert_totals(got: dict, sent: Sent) -> None:
    assert requests_total(got, "placeholder", "placeholder", "200") == sent.ok + 1
    assert requests_total(got, "placeholder", "other", "400") == 1
    assert requests_total(got, "unknown", "other", "400") == 1
    totals = [v for (name, _), v in got.items() if name == "gateway_image_requests_total"]
    assert sum(totals) == sent.ok + 3
    images = ("gateway_images_total", (("model", "placeholder"), ("provider", "placeholder")))
    assert got[images] == sent.ok + 1
    assert got["gateway_fallbacks_total", (("provider", "placeholder"),)] == 1
    upstream = "gateway_upstream_request_duration_seconds_count"
    assert got[upstream, (("provider", "openai"),)] == 1
    assert got[upstream, (("provider", "placeholder"),)] == sent.ok + 1
    whole = "gateway_image_request_duration_seconds_count"
    assert got[whole, (("provider", "placeholder"), ("status_class", "2xx"))] == sent.ok + 1


def test_totals_across_both_workers_are_exact(gateway, sent):
    assert gateway.pid not in pids_with_files(gateway)  # the master never counts
    scrapes = [scrape(gateway) for _ in range(4)]  # new connections: either worker answers
    for text, got in scrapes:
        assert_totals(got, sent)
        for caller_text in (PROMPT, KEY, "sk-planted", "metrics-e2e-trace"):
            assert caller_text not in text
    assert len({json.dumps(sorted(got.items()), default=str) for _, got in scrapes}) == 1


def test_a_reload_keeps_the_totals_and_folds_the_old_workers(gateway, sent):
    old = set(_child_pids(gateway.pid))
    os.kill(gateway.pid, signal.SIGHUP)

    def reloaded() -> bool:
        workers = set(_child_pids(gateway.pid))
        return len(workers) == 2 and not workers & old and not pids_with_files(gateway) & old

    assert poll(reloaded, RELOAD_TIMEOUT, 0.1), gateway.stdout_text()[-2000:]
    assert metric_files(gateway) == ["counter_archive.db", "histogram_archive.db"]
    _, got = scrape(gateway)
    assert_totals(got, sent)
    assert post(gateway, BODY, PLACEHOLDER).status_code == 200
    _, got = scrape(gateway)
    assert requests_total(got, "placeholder", "placeholder", "200") == sent.ok + 2


def test_a_restart_starts_from_zero(start_gateway):
    first = start_gateway(GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
    for _ in range(2):
        assert post(first, BODY, PLACEHOLDER).status_code == 200
    assert requests_total(scrape(first)[1], "placeholder", "placeholder", "200") == 2
    first.stop()
    assert metric_files(first)  # what the stopped master left behind

    env = {**first.env, "GATEWAY_BIND": f"127.0.0.1:{free_port()}"}
    second = Gateway(env, first.data_dir, first.log_path.with_name("restart.log"))
    try:
        assert second.wait_ready(), second.stdout_text()
        assert metric_files(second) == []
        _, got = scrape(second)
        assert not any(name.startswith("gateway_image_requests") for name, _ in got)
        assert post(second, BODY, PLACEHOLDER).status_code == 200
        assert requests_total(scrape(second)[1], "placeholder", "placeholder", "200") == 1
    finally:
        second.stop()
