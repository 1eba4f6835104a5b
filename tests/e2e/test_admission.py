"""Admission control under gunicorn with two workers: the in-flight count spans the
workers, and a worker SIGKILLed while holding calls gives them back (``child_exit``).

Calls are held by a local upstream that answers only when the test releases it, so
nothing here depends on how long anything takes; every wait is a bounded poll.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict

if __package__:
    from .conftest import Gateway, _child_pids, poll
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import Gateway, _child_pids, poll

URL = "/v1/images/generations"
KEY = "sk-e2e-admission-0123456789"
BODY = {"prompt": "a lighthouse at dusk", "model": "dall-e-3"}
OK = b'{"created":1700000000,"data":[{"url":"https://images.example/a.png"}]}'
CAPACITY = 2
WAIT = 20.0  # the longest any bounded wait here may take
LOG_WAIT = 5.0
ROUNDS = 50  # rounds of overflow calls at most (see test_the_capacity_spans_both_workers)
PER_ROUND = 4


class HeldUpstream:
    """An OpenAI stand-in on 127.0.0.1 whose calls wait for the gate ``hold`` returned
    (a bounded wait) before they answer 200."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.callers: list[int] = []  # the gateway's local port of each call held
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                gate = upstream.gate  # the gate of the moment the call arrived
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                upstream.callers.append(self.client_address[1])
                gate.wait(WAIT)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(OK)))
                self.end_headers()
                self.wfile.write(OK)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A killed worker's connection is gone when its call is released.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def hold(self) -> threading.Event:
        """Calls arriving from now on wait for the returned gate."""
        self.gate = threading.Event()
        self.callers = []
        return self.gate

    def holders(self, workers: list[int]) -> Counter[int]:
        """How many of the held calls each worker makes: the worker that owns the other
        end of each held connection (Linux: /proc/net/tcp and /proc/<pid>/fd); empty
        until every held call is found."""
        mine = self.server.server_address[1]
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            _, local, remote, *rest = line.split()
            port, peer = int(local.rpartition(":")[2], 16), int(remote.rpartition(":")[2], 16)
            if peer == mine and port in self.callers:
                inodes.add(f"socket:[{rest[6]}]")
        found: Counter[int] = Counter()
        for pid in workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with suppress(OSError):
                    found[pid] += os.readlink(fd) in inodes
        return found if found.total() == len(self.callers) else Counter()


@pytest.fixture(scope="module")
def upstream() -> Iterator[HeldUpstream]:
    held = HeldUpstream()
    held.thread.start()
    yield held
    held.gate.set()
    held.server.shutdown()
    held.server.server_close()


@pytest.fixture(scope="module", params=["gthread", "gevent"])
def gateway(request, start_gateway, upstream) -> Gateway:
    """One instance per worker class: threads and greenlets share the same count."""
    if request.param == "gevent":
        pytest.importorskip("gevent", reason="gevent is an optional extra: pip install '.[gevent]'")
    return start_gateway(
        GATEWAY_MAX_IN_FLIGHT=str(CAPACITY),
        GATEWAY_WORKER_CLASS=request.param,
        GATEWAY_WORKERS="2",
        GATEWAY_THREADS="8",
        GATEWAY_ALLOWED_CUSTOM_HOSTS=upstream.base_url,
    )


def headers(upstream: HeldUpstream, trace: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-custom-host": upstream.base_url + "/v1",
        "x-portkey-trace-id": trace,
        "Connection": "close",  # a new connection each time: either worker may take it
    }


def post(gateway: Gateway, upstream: HeldUpstream, trace: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.post(
            gateway.url(URL), json=BODY, headers=headers(upstream, trace), timeout=WAIT + 10
        )


def get(gateway: Gateway, path: str) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.get(gateway.url(path), headers={"Connection": "close"}, timeout=10)


def full(gateway: Gateway) -> bool:
    return get(gateway, "/readyz").status_code == 503


def hold_capacity(gateway: Gateway, upstream: HeldUpstream, pool: ThreadPoolExecutor) -> list:
    """``CAPACITY`` calls in flight at the held upstream, once ``/readyz`` says so."""
    calls = [pool.submit(post, gateway, upstream, f"held-{i}") for i in range(CAPACITY)]
    assert poll(lambda: full(gateway), WAIT), gateway.stdout_text()[-2000:]
    return calls


def refusing_workers(gateway: Gateway) -> set[int]:
    """Workers whose own metric file counts a refusal (``gateway_overloaded_total``)."""
    found = set()
    for path in (gateway.data_dir / "metrics").glob("counter_*.db"):
        pid = re.match(r"counter_(\d+)\.db$", path.name)
        values = MmapedDict.read_all_values_from_file(str(path))
        if pid and any("gateway_overloaded_total" in key and n > 0 for key, n, *_ in values):
            found.add(int(pid[1]))
    return found


def assert_overloaded(res: requests.Response, trace: str) -> None:
    assert res.status_code == 503, res.text
    assert res.json() == {
        "error": {
            "message": f"The gateway is serving its maximum of {CAPACITY} image calls; "
            "retry shortly.",
            "type": "server_error",
            "param": None,
            "code": "gateway_overloaded",
        }
    }
    assert res.headers["Retry-After"] == "1"
    assert res.headers["x-should-retry"] == "true"
    assert res.headers["x-portkey-trace-id"] == trace


def scrape(gateway: Gateway) -> str:
    res = get(gateway, "/metrics")
    assert res.status_code == 200
    return res.text


def test_the_capacity_spans_both_workers(gateway, upstream):
    """A worker that itself makes fewer than ``CAPACITY`` calls refuses: only a count
    shared with the other worker can tell it the instance is full."""
    gate = upstream.hold()
    refused = 0
    with ThreadPoolExecutor(CAPACITY + PER_ROUND) as pool:
        try:
            held = hold_capacity(gateway, upstream, pool)
            ready = get(gateway, "/readyz")
            assert ready.json()["error"]["code"] == "gateway_overloaded"
            assert ready.headers["Retry-After"] == "1"
            holders = held_by(gateway, upstream)

            def proven() -> bool:
                return any(holders[pid] < CAPACITY for pid in refusing_workers(gateway))

            # Connections go to whichever worker accepts first; if one worker makes both
            # held calls, rounds go on until the other one has refused some too.
            for _ in range(ROUNDS):
                traces = [f"over-{refused + i}" for i in range(PER_ROUND)]
                answers = list(pool.map(lambda t: post(gateway, upstream, t), traces))
                for trace, res in zip(traces, answers, strict=True):
                    assert_overloaded(res, trace)
                refused += PER_ROUND
                if proven():
                    break
            assert proven(), (holders, refusing_workers(gateway))
            assert "gateway_in_flight 2.0" in scrape(gateway)
        finally:
            gate.set()
        assert [call.result().status_code for call in held] == [200] * CAPACITY

    assert post(gateway, upstream, "after").status_code == 200
    assert get(gateway, "/readyz").json() == {"status": "ready", "in_flight": 0, "capacity": 2}
    text = scrape(gateway)
    assert f'gateway_overloaded_total{{route="generations"}} {float(refused)}' in text
    assert "gateway_in_flight 0.0" in text
    assert "gateway_max_in_flight 2.0" in text

    def overload_rows() -> list[dict]:
        rows = [r for r in gateway.log_rows() if r["error_code"] == "gateway_overloaded"]
        return rows if len(rows) == refused else []

    rows = poll(overload_rows, WAIT)
    assert sorted(r["trace_id"] for r in rows) == sorted(f"over-{i}" for i in range(refused))
    assert {r["status"] for r in rows} == {503}


def held_by(gateway: Gateway, upstream: HeldUpstream) -> Counter[int]:
    """``{worker pid: held calls}``, polled: the second worker may still be starting
    (gunicorn answers as soon as one worker does), and /proc/net/tcp may skip a line
    while sockets open and close."""
    assert poll(lambda: len(upstream.callers) == CAPACITY, WAIT)
    holders = poll(lambda: upstream.holders(_child_pids(gateway.pid)), WAIT)
    assert holders, upstream.callers
    return holders


def test_a_killed_worker_gives_its_calls_back(gateway, upstream):
    old_gate = upstream.hold()
    with ThreadPoolExecutor(CAPACITY + 1) as pool:
        try:
            doomed = hold_capacity(gateway, upstream, pool)
            holders = +held_by(gateway, upstream)  # only the workers that hold calls
            for pid in holders:
                os.kill(pid, signal.SIGKILL)

            def ready_again() -> bool:
                try:
                    res = get(gateway, "/readyz")
                except requests.ConnectionError:  # taken by a worker as it was killed
                    return False
                return res.status_code == 200 and res.json()["in_flight"] == 0

            # /readyz reads the count without claiming a slot, so only the master's
            # child_exit hook can have freed the killed workers' calls.
            assert poll(ready_again, WAIT), gateway.stdout_text()[-2000:]

            def freed() -> Counter[int]:
                said = r"admission: worker (\d+) exited holding (\d+) calls"
                found = re.findall(said, gateway.stdout_text())
                return Counter({int(pid): int(n) for pid, n in found})

            assert poll(lambda: freed() == holders, LOG_WAIT), freed()
            for call in doomed:
                with pytest.raises(requests.ConnectionError):
                    call.result()

            gate = upstream.hold()
            try:
                held = hold_capacity(gateway, upstream, pool)  # the whole capacity again
                assert_overloaded(post(gateway, upstream, "over-again"), "over-again")
            finally:
                gate.set()
            assert [call.result().status_code for call in held] == [200] * CAPACITY
        finally:
            old_gate.set()
    assert get(gateway, "/readyz").json()["in_flight"] == 0
