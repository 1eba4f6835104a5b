"""Load generators for bench/run.py.

* ``latency_run``: one persistent ``http.client`` connection, sequential requests
  (concurrency 1), fine-grained percentiles from every sample.
* ``wrk_run``: throughput at concurrency N with ``wrk`` and ``bench/post.lua``.
* ``thread_run``: fallback throughput client (Python threads, one keep-alive
  connection each) used only when ``wrk`` is not installed. It is much more
  expensive for the shared CPUs, so its figures understate both sides.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
LUA = HERE / "post.lua"

BODY_SMALL = {"model": "dall-e-3", "prompt": "a cat", "size": "1024x1024"}
BODY_B64 = {**BODY_SMALL, "response_format": "b64_json"}
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}


def body_for(mode: str) -> bytes:
    return json.dumps(BODY_B64 if mode == "b64" else BODY_SMALL, separators=(",", ":")).encode()


def percentile(sorted_values: list[float], pct: float) -> float:
    """Linear-interpolated percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


class KeepAliveClient:
    """One persistent HTTP/1.1 connection; reconnects only if the server closes it."""

    def __init__(self, url: str, mode: str, timeout: float = 30.0, headers: dict | None = None):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path
        self.body = body_for(mode)
        self.headers = {**HEADERS, **(headers or {})}
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.connects = 0
        self.last_headers: dict[str, str] = {}

    def _connect(self) -> http.client.HTTPConnection:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.connects += 1
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def once(self) -> tuple[int, bytes]:
        """Send one request, read the whole answer, return (status, body)."""
        for attempt in range(2):
            conn = self.conn or self._connect()
            try:
                conn.request("POST", self.path, body=self.body, headers=self.headers)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                # Stale keep-alive connection closed by the server: retry once, fresh.
                self.close()
                if attempt:
                    raise
                continue
            if resp.will_close:
                self.close()
            self.last_headers = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, data
        raise RuntimeError("unreachable")


def latency_run(
    url: str, mode: str, samples: int, warmup: int, headers: dict | None = None
) -> dict:
    """Concurrency-1 latency: ``warmup`` unrecorded requests, then ``samples`` timed ones."""
    client = KeepAliveClient(url, mode, headers=headers)
    errors = 0
    lat_ms: list[float] = []
    try:
        for _ in range(warmup):
            client.once()
        connects_before = client.connects
        for _ in range(samples):
            t0 = time.perf_counter_ns()
            status, _data = client.once()
            t1 = time.perf_counter_ns()
            if status != 200:
                errors += 1
                continue
            lat_ms.append((t1 - t0) / 1e6)
    finally:
        client.close()
    lat_ms.sort()
    return {
        "samples": len(lat_ms),
        "errors": errors,
        "reconnects": client.connects - connects_before,
        "p50_ms": percentile(lat_ms, 50),
        "p90_ms": percentile(lat_ms, 90),
        "p99_ms": percentile(lat_ms, 99),
        "max_ms": lat_ms[-1] if lat_ms else float("nan"),
        "mean_ms": sum(lat_ms) / len(lat_ms) if lat_ms else float("nan"),
    }


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk_run(
    url: str,
    mode: str,
    concurrency: int,
    duration_s: int,
    headers: dict | None = None,
    threads: int = 1,
) -> dict:
    """Closed-loop throughput with wrk (``threads`` threads, ``concurrency`` connections);
    extra ``headers`` go to post.lua as ``Name: value`` arguments."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{int(duration_s)}s",
        "--timeout",
        "20s",
        "-s",
        str(LUA),
        url,
        "--",
        mode,
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary (rc={proc.returncode}): {proc.stderr[-500:]}")
    raw = json.loads(line[len("BENCH_JSON ") :])
    secs = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["err_status"]
    errors = sum(raw[k] for k in ("err_connect", "err_read", "err_write", "err_status"))
    errors += raw["err_timeout"]
    return {
        "client": "wrk",
        "requests": raw["requests"],
        "errors": errors,
        "seconds": secs,
        "rps": ok / secs if secs else 0.0,
        # Closed loop, no think time: sustained rate = connections / mean latency (Little's law).
        "rps_little": concurrency / (raw["lat_mean_us"] / 1e6) if raw["lat_mean_us"] else 0.0,
        "p50_ms": raw["lat_p50_us"] / 1000,
        "p99_ms": raw["lat_p99_us"] / 1000,
        "raw": raw,
    }


def thread_run(
    url: str, mode: str, concurrency: int, duration_s: float, headers: dict | None = None
) -> dict:
    """Fallback closed-loop throughput client: ``concurrency`` threads, keep-alive each."""
    deadline = time.perf_counter() + duration_s
    lock = threading.Lock()
    lat_ms: list[float] = []
    counts = {"ok": 0, "errors": 0}

    def worker() -> None:
        client = KeepAliveClient(url, mode, headers=headers)
        mine: list[float] = []
        ok = err = 0
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    status, _ = client.once()
                except OSError:
                    err += 1
                    client.close()
                    continue
                if status == 200:
                    ok += 1
                    mine.append((time.perf_counter() - t0) * 1000)
                else:
                    err += 1
        finally:
            client.close()
        with lock:
            lat_ms.extend(mine)
            counts["ok"] += ok
            counts["errors"] += err

    t_start = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration_s + 60)
    secs = time.perf_counter() - t_start
    lat_ms.sort()
    return {
        "client": "python-threads",
        "requests": counts["ok"] + counts["errors"],
        "errors": counts["errors"],
        "seconds": secs,
        "rps": counts["ok"] / secs,
        "rps_little": concurrency / (sum(lat_ms) / len(lat_ms) / 1000) if lat_ms else 0.0,
        "p50_ms": percentile(lat_ms, 50),
        "p99_ms": percentile(lat_ms, 99),
    }


def throughput_run(
    url: str, mode: str, concurrency: int, duration_s: int, headers: dict | None = None
) -> dict:
    if have_wrk():
        return wrk_run(url, mode, concurrency, duration_s, headers)
    return thread_run(url, mode, concurrency, duration_s, headers)
