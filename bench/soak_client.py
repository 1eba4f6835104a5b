"""The soak's load: N closed-loop clients that keep a record of every request they send.

Each request carries its own ``x-portkey-trace-id``, so bench/soak.py can find it in the
request log. Each client keeps one keep-alive connection (a new one after the gateway
closes it), sends the next request as soon as it has an answer, and waits as a polite
client does when told to: ``Retry-After`` (capped at 5 s) after a 429 or 503. A request
that ends without an answer is recorded as such and never sent again. On ``stop`` each
client finishes the request it has in flight and sends no more.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass

import load
import probe

PATH = "/v1/images/generations"
MAX_WAIT_S = 5.0


@dataclass(frozen=True)
class Record:
    trace_id: str
    route: str  # "default" (GATEWAY_OPENAI_BASE_URL) or "config" (x-portkey-config)
    answer: probe.Answer


class Load:
    """``clients`` threads against ``url``; ``config`` goes on a ``config_share`` of the
    requests, chosen by a generator seeded per client from ``seed``."""

    def __init__(
        self, url: str, clients: int, seed: int, config: str | None, config_share: float
    ) -> None:
        self.url = url
        self.clients = clients
        self.seed = seed
        self.config = config
        self.config_share = config_share if config else 0.0
        self.records: list[Record] = []
        self.pending: set[str] = set()  # sent, no answer yet (trace ids)
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), name=f"soak-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def finish(self, timeout: float) -> int:
        """Stop sending, wait (bounded) for the requests in flight; return the clients
        still busy after ``timeout`` (their requests count as sent, not answered)."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        return sum(t.is_alive() for t in self._threads)

    def snapshot(self) -> tuple[list[Record], set[str]]:
        """The records published so far and the requests still waiting for an answer."""
        with self._lock:
            return list(self.records), set(self.pending)

    def _client(self, index: int) -> None:
        rng = random.Random(self.seed * 100_003 + index)
        body = load.body_for("small")
        conn = probe.connection(self.url, timeout=120)
        try:
            while not self.stop.is_set():
                trace = os.urandom(16).hex()
                headers = {"x-portkey-trace-id": trace}
                route = "default"
                if rng.random() < self.config_share:
                    headers["x-portkey-config"] = self.config
                    route = "config"
                with self._lock:
                    self.pending.add(trace)
                answer = probe.post(conn, PATH, headers, body)
                with self._lock:
                    self.pending.discard(trace)
                    self.records.append(Record(trace, route, answer))
                if answer.status in (429, 503):
                    self.stop.wait(_retry_after(answer.retry_after))
        finally:
            conn.close()


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), MAX_WAIT_S)
    except ValueError:
        return 1.0
