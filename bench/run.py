#!/usr/bin/env python3
"""Gateway overhead benchmark: the gateway (gunicorn, default settings) vs the upstream direct.

    python bench/run.py [--quick] [--runs N]

Starts the fake upstream (tests/e2e/fake_provider.py) and, per scenario, one gateway under
gunicorn whose OpenAI base URL points at that scenario's fake path prefix. Prints a table and
writes bench/results/latest.json. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lean  # bench/lean.py: the naive proxy in the same run (small, b64)
import load  # bench/load.py, next to this file

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CONCURRENCY = 32
SLOW_MS = 200
IDEAL_SLOW_RPS = CONCURRENCY / (SLOW_MS / 1000)  # 160 req/s
B64_CHARS = 1_500_000

SCENARIOS = {
    "small": {"prefix": "", "mode": "small", "latency": True, "rss": False, "naive": True},
    "b64": {
        "prefix": f"/b64/{B64_CHARS}",
        "mode": "b64",
        "latency": True,
        "rss": True,
        "naive": True,
    },
    "slow": {"prefix": f"/slow/{SLOW_MS}", "mode": "small", "latency": False, "rss": False},
    # Same gateway, cache on: the fake's small b64_json answer (a 70-byte PNG), each path
    # chosen by headers. "upstream" forces a refresh (call the fake, store the answer).
    "cache": {"prefix": "", "mode": "b64", "latency": True, "rss": False, "cache": True},
    # The same on the fake's 1.5 MB b64_json answer: what a hit costs when the image is large.
    "cache_large": {
        "prefix": f"/b64/{B64_CHARS}",
        "mode": "b64",
        "latency": True,
        "rss": False,
        "cache": True,
    },
}
CACHE_CONFIG = json.dumps({"cache": {"mode": "simple"}}, separators=(",", ":"))
CACHE_PATHS = {
    "upstream": {"x-portkey-config": CACHE_CONFIG, "x-portkey-cache-force-refresh": "1"},
    "hit": {"x-portkey-config": CACHE_CONFIG},
}
CACHE_STATUS = {"upstream": "REFRESH", "hit": "HIT"}

AIM_ADDED_P50_MS = 1.0
AIM_CPU_MS = 1.0
AIM_B64_RATIO = 0.30
AIM_SLOW_FRACTION = 0.95
AIM_CACHE_HIT_P50_MS = 10.0  # "answered from the cache in milliseconds"
# "A hit must cost less than a call": hit / upstream throughput at c=32, in the same run.
AIM_CACHE_HIT_THR = {"cache": 5.0, "cache_large": 2.0}
RSS_FLAT_TOLERANCE = 0.20  # peak RSS of the middle and last third within +20 % of the first


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def python_exe() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- /proc helpers


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from #3 (state) on


def _starttime(pid: int) -> str | None:
    f = _stat_fields(pid)
    return f[19] if f else None  # field 22


def children(pid: int) -> list[int]:
    kids: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids.update(int(x) for x in (task / "children").read_text().split())
    except OSError:
        pass
    return sorted(kids)


def cpu_ticks(master: int) -> int:
    """utime+stime of gunicorn master and workers (plus reaped workers via cutime/cstime)."""
    total = 0
    f = _stat_fields(master)
    if f:
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    for pid in children(master):
        f = _stat_fields(pid)
        if f:
            total += int(f[11]) + int(f[12])
    return total


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(master: int) -> tuple[int, int, int]:
    """(sum VmRSS, sum VmHWM, process count) over master + workers."""
    pids = [master, *children(master)]
    return (
        sum(_status_kb(p, "VmRSS") for p in pids),
        sum(_status_kb(p, "VmHWM") for p in pids),
        len(pids),
    )


class RssSampler(threading.Thread):
    def __init__(self, master: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.master = master
        self.interval = interval
        self.samples: list[tuple[float, int, int, int]] = []
        self._stop_evt = threading.Event()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.samples.append((time.monotonic(), *rss_kb(self.master)))
            self._stop_evt.wait(self.interval)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(timeout=5)


# ---------------------------------------------------------------- processes


class Managed:
    """A child process we started; stopped by its PID (and its recorded children by PID)."""

    def __init__(self, name: str, cmd: list[str], env: dict, logdir: Path):
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        kids = [(p, _starttime(p)) for p in children(self.pid)]
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for pid, started in kids:  # workers left behind (same PID, same start time)
            if started is not None and _starttime(pid) == started:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self._log.close()


def start_fake(logdir: Path, cmd: list[str] | None = None) -> tuple[Managed, int]:
    """Start the fake upstream (``cmd``: another launcher that prints ``READY <port>``)."""
    cmd = cmd or [python_exe(), "-u", "-m", "tests.e2e.fake_provider", "--port", "0", "--no-record"]
    fake = Managed("fake_provider", cmd, dict(os.environ), logdir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = re.search(r"^READY (\d+)$", fake.log_tail(10_000), re.MULTILINE)
        if ready:
            return fake, int(ready.group(1))
        if not fake.alive():
            break
        time.sleep(0.05)
    fake.stop()
    raise RuntimeError(f"fake provider did not become ready:\n{fake.log_tail()}")


EXTRA_ENV: dict[str, str] = {}  # --gateway-env overrides (not the default-settings figures)


def gateway_env(port: int, data_dir: Path, base_url: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GATEWAY_") and k not in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")
    }
    env.update(EXTRA_ENV)
    env.update(
        GATEWAY_BIND=f"127.0.0.1:{port}",
        GATEWAY_DATA_DIR=str(data_dir),
        GATEWAY_OPENAI_BASE_URL=base_url,
    )
    return env


GUNICORN = ["-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
SETTING_KEYS = (
    "bind",
    "worker_class",
    "workers",
    "threads",
    "worker_connections",
    "keepalive",
    "timeout",
    "graceful_timeout",
    "max_requests",
    "max_requests_jitter",
    "backlog",
    "preload_app",
    "accesslog",
    "loglevel",
)


def gateway_settings(env: dict) -> dict:
    """Resolved gunicorn settings (``--print-config``) for the environment the bench uses."""
    try:
        out = subprocess.run(
            [python_exe(), *GUNICORN[:4], "--print-config", GUNICORN[4]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    found = {}
    for line in out.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in SETTING_KEYS:
            found[key.strip()] = value.strip()
    return found


def start_gateway(name: str, base_url: str, tmp: Path) -> tuple[Managed, int, dict]:
    port = free_port()
    data_dir = tmp / f"data-{name}"
    data_dir.mkdir()
    env = gateway_env(port, data_dir, base_url)
    settings = gateway_settings(env)
    gw = Managed(f"gateway-{name}", [python_exe(), *GUNICORN], env, tmp)
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + 60
    healthy = False
    while time.monotonic() < deadline and gw.alive():
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    healthy = True
                    break
        except OSError:
            pass
        time.sleep(0.1)
    if not healthy:
        gw.stop()
        raise RuntimeError(f"gateway did not answer /healthz:\n{gw.log_tail()}")
    # /healthz answers once one worker is up; wait (bounded) for all configured workers.
    want = int(settings.get("workers", "1") or 1)
    deadline = time.monotonic() + 20
    while len(children(gw.pid)) < want and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    settings["worker_pids_at_start"] = len(children(gw.pid))
    return gw, port, settings


# ---------------------------------------------------------------- scenarios


def sanity_check(url: str, mode: str) -> str:
    """One request; returns a short description or raises with the answer excerpt."""
    client = load.KeepAliveClient(url, mode, timeout=30)
    try:
        status, data = client.once()
    finally:
        client.close()
    if status != 200:
        raise RuntimeError(f"{url} answered {status}: {data[:300]!r}")
    item = json.loads(data)["data"][0]
    if mode == "b64":
        n = len(item.get("b64_json") or "")
        if n < B64_CHARS * 0.9:
            raise RuntimeError(f"{url}: b64_json has {n} chars, expected ~{B64_CHARS}")
        return f"b64_json {n} chars, body {len(data)} bytes"
    if "url" not in item:
        raise RuntimeError(f"{url}: no url in answer: {data[:300]!r}")
    return f"url answer, body {len(data)} bytes"


def med(values: list[float]) -> float:
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def measure_run(sc: dict, direct: str, gateway: str, master: int, args, naive=None) -> dict:
    mode = sc["mode"]
    r: dict = {}
    if sc["latency"]:
        r["lat_direct"] = load.latency_run(direct, mode, args.samples, warmup=5)
        c0 = cpu_ticks(master)
        r["lat_gateway"] = load.latency_run(gateway, mode, args.samples, warmup=5)
        ticks = cpu_ticks(master) - c0
        r["cpu_ms_per_req_c1"] = ticks / CLK_TCK * 1000 / (args.samples + 5)
        d, g = r["lat_direct"], r["lat_gateway"]
        r["added_p50_ms"] = g["p50_ms"] - d["p50_ms"]
        r["added_p99_ms"] = g["p99_ms"] - d["p99_ms"]
        r["ratio_p50"] = g["p50_ms"] / d["p50_ms"]
        r["ratio_p99"] = g["p99_ms"] / d["p99_ms"]
        if naive is not None:
            lean.measure_latency(r, naive, mode, args.samples)
    r["thr_direct"] = load.throughput_run(direct, mode, CONCURRENCY, args.duration)
    c0 = cpu_ticks(master)
    r["thr_gateway"] = load.throughput_run(gateway, mode, CONCURRENCY, args.duration)
    ticks = cpu_ticks(master) - c0
    done = max(r["thr_gateway"]["requests"], 1)
    r["cpu_ms_per_req_c32"] = ticks / CLK_TCK * 1000 / done
    if naive is not None:
        lean.measure_throughput(r, naive, mode, args.duration)
    if sc["latency"]:
        r["thr_ratio"] = r["thr_gateway"]["rps"] / r["thr_direct"]["rps"]
    else:
        # Slow upstream: few rounds per run, so counting completions in a fixed window
        # under-counts by up to one round (32 requests); use Little's law instead.
        r["thr_ratio"] = r["thr_gateway"]["rps_little"] / r["thr_direct"]["rps_little"]
        r["slow_fraction_of_ideal"] = r["thr_gateway"]["rps_little"] / IDEAL_SLOW_RPS
    return r


def pick(runs: list[dict], path: str) -> float:
    """Median over runs of the figure at a dotted ``path`` (``lat_gateway.p50_ms``)."""
    vals = []
    for r in runs:
        v = r
        for part in path.split("."):
            v = v.get(part, {}) if isinstance(v, dict) else {}
        if isinstance(v, (int, float)):
            vals.append(float(v))
    return med(vals)


def summarise(runs: list[dict]) -> dict:
    keys = [
        "lat_direct.p50_ms",
        "lat_direct.p99_ms",
        "lat_gateway.p50_ms",
        "lat_gateway.p99_ms",
        "added_p50_ms",
        "added_p99_ms",
        "ratio_p50",
        "ratio_p99",
        "cpu_ms_per_req_c1",
        "thr_direct.rps",
        "thr_gateway.rps",
        "thr_direct.rps_little",
        "thr_gateway.rps_little",
        "thr_gateway.p50_ms",
        "thr_gateway.p99_ms",
        "thr_ratio",
        "slow_fraction_of_ideal",
        "cpu_ms_per_req_c32",
        *lean.KEYS,
    ]
    out = {k: pick(runs, k) for k in keys}
    out["errors_gateway"] = sum(
        r.get("thr_gateway", {}).get("errors", 0) + r.get("lat_gateway", {}).get("errors", 0)
        for r in runs
    )
    out["errors_direct"] = sum(
        r.get("thr_direct", {}).get("errors", 0) + r.get("lat_direct", {}).get("errors", 0)
        for r in runs
    )
    return out


def run_scenario(name: str, sc: dict, fake_port: int, tmp: Path, args) -> dict:
    if sc.get("cache"):
        return run_cache_scenario(name, sc, fake_port, tmp, args)
    base = f"http://127.0.0.1:{fake_port}{sc['prefix']}"
    direct = f"{base}/v1/images/generations"
    gw, gw_port, settings = start_gateway(name, f"{base}/v1", tmp)
    gateway = f"http://127.0.0.1:{gw_port}/v1/images/generations"
    result: dict = {"direct_url": direct, "gateway_settings": settings}
    sampler = naive = None
    try:
        result["sanity_direct"] = sanity_check(direct, sc["mode"])
        result["sanity_gateway"] = sanity_check(gateway, sc["mode"])
        log(f"{name}: direct {result['sanity_direct']}; gateway {result['sanity_gateway']}")
        if sc.get("naive"):
            naive = lean.start(direct, settings, tmp)
            result["sanity_naive"] = lean.check(naive, sc["mode"])
        if sc["rss"]:
            result["rss_idle_kb"] = rss_kb(gw.pid)[0]
            sampler = RssSampler(gw.pid)
            sampler.start()
        # Warm-up: connection pools, lazily created gthread threads, imports.
        for url in (direct, gateway):
            if sc["latency"]:
                load.latency_run(url, sc["mode"], samples=0, warmup=args.warmup)
            load.throughput_run(url, sc["mode"], CONCURRENCY, 1)
        if naive is not None:
            lean.warm(naive.url, sc["mode"], args.warmup)
        t_start = time.monotonic()
        if sc["rss"]:
            result["rss_start_kb"] = rss_kb(gw.pid)[0]
        runs = []
        for i in range(args.runs):
            r = measure_run(sc, direct, gateway, gw.pid, args, naive)
            runs.append(r)
            log(f"{name} run {i + 1}/{args.runs}: " + brief(r))
        t_end = time.monotonic()
        if sc["rss"] and sampler is not None:
            sampler.stop()
            _rss, hwm_end, nproc = rss_kb(gw.pid)
            # RSS swings with the number of 1.5 MB answers in flight at the sampling
            # instant, so compare the peak of each third of the measured period.
            span = (t_end - t_start) / 3
            thirds = [
                [
                    x[1]
                    for x in sampler.samples
                    if t_start + i * span <= x[0] <= t_start + (i + 1) * span
                ]
                or [0]
                for i in range(3)
            ]
            start, middle, end = (max(t) for t in thirds)
            result.update(
                rss_start_kb=start,
                rss_middle_kb=middle,
                rss_end_kb=end,
                rss_after_warmup_kb=result.pop("rss_start_kb"),
                rss_peak_sampled_kb=max(x[1] for x in sampler.samples),
                hwm_sum_kb=hwm_end,
                rss_processes=nproc,
                rss_samples=len(sampler.samples),
            )
            result["rss_flat"] = max(middle, end) <= start * (1 + RSS_FLAT_TOLERANCE)
        result["runs"] = runs
        result["median"] = summarise(runs)
        result["gateway_alive_at_end"] = gw.alive()
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if naive is not None:
            naive.proc.stop()
        gw.stop()
    return result


# ---------------------------------------------------------------- cache scenario


def cache_sanity(url: str, mode: str, path: str) -> str:
    """Two requests down one path; the second must carry that path's cache status."""
    client = load.KeepAliveClient(url, mode, timeout=30, headers=CACHE_PATHS[path])
    try:
        client.once()
        status, data = client.once()
    finally:
        client.close()
    got = client.last_headers.get("x-portkey-cache-status")
    if status != 200 or got != CACHE_STATUS[path]:
        raise RuntimeError(f"{path}: answered {status}, cache status {got}: {data[:300]!r}")
    n = len(json.loads(data)["data"][0].get("b64_json") or "")
    return f"{got}, b64_json {n} chars"


def measure_cache_run(sc: dict, url: str, master: int, args) -> dict:
    """Both paths back to back, latency then throughput: the ratios compare one run."""
    mode = sc["mode"]
    r: dict = {}
    for path, headers in CACHE_PATHS.items():
        c0 = cpu_ticks(master)
        r[f"lat_{path}"] = load.latency_run(url, mode, args.samples, warmup=5, headers=headers)
        ticks = cpu_ticks(master) - c0
        r[f"cpu_ms_per_req_{path}"] = ticks / CLK_TCK * 1000 / (args.samples + 5)
    for path, headers in CACHE_PATHS.items():
        r[f"thr_{path}"] = load.throughput_run(url, mode, CONCURRENCY, args.duration, headers)
    up, hit = r["lat_upstream"], r["lat_hit"]
    r["ratio_p50"] = hit["p50_ms"] / up["p50_ms"]
    r["ratio_p99"] = hit["p99_ms"] / up["p99_ms"]
    r["thr_ratio"] = r["thr_hit"]["rps"] / r["thr_upstream"]["rps"]
    return r


def summarise_cache(runs: list[dict]) -> dict:
    keys = [
        f"{kind}_{path}.{q}"
        for kind in ("lat", "thr")
        for path in CACHE_PATHS
        for q in ("p50_ms", "p99_ms")
    ]
    keys += [f"thr_{path}.rps" for path in CACHE_PATHS]
    keys += [f"cpu_ms_per_req_{path}" for path in CACHE_PATHS]
    keys += ["ratio_p50", "ratio_p99", "thr_ratio"]
    out = {k: pick(runs, k) for k in keys}
    out["errors_gateway"] = sum(
        r.get(f"{kind}_{path}", {}).get("errors", 0)
        for r in runs
        for kind in ("lat", "thr")
        for path in CACHE_PATHS
    )
    return out


def run_cache_scenario(name: str, sc: dict, fake_port: int, tmp: Path, args) -> dict:
    base = f"http://127.0.0.1:{fake_port}{sc['prefix']}"
    gw, gw_port, settings = start_gateway(name, f"{base}/v1", tmp)
    gateway = f"http://127.0.0.1:{gw_port}/v1/images/generations"
    result: dict = {"gateway_settings": settings, "paths": CACHE_PATHS}
    try:
        for path in CACHE_PATHS:
            result[f"sanity_{path}"] = cache_sanity(gateway, sc["mode"], path)
        log(f"{name}: upstream {result['sanity_upstream']}; hit {result['sanity_hit']}")
        for headers in CACHE_PATHS.values():  # warm-up, as for the other scenarios
            load.latency_run(gateway, sc["mode"], samples=0, warmup=args.warmup, headers=headers)
            load.throughput_run(gateway, sc["mode"], CONCURRENCY, 1, headers)
        runs = []
        for i in range(args.runs):
            r = measure_cache_run(sc, gateway, gw.pid, args)
            runs.append(r)
            log(
                f"{name} run {i + 1}/{args.runs}: p50 upstream {r['lat_upstream']['p50_ms']:.2f}"
                f" ms hit {r['lat_hit']['p50_ms']:.2f} ms (x{r['ratio_p50']:.2f}); req/s upstream"
                f" {r['thr_upstream']['rps']:.0f} hit {r['thr_hit']['rps']:.0f}"
                f" (x{r['thr_ratio']:.2f})"
            )
        result["runs"] = runs
        result["median"] = summarise_cache(runs)
        result["gateway_alive_at_end"] = gw.alive()
    finally:
        gw.stop()
    return result


def print_cache(m: dict, name: str = "cache") -> None:
    row = "{:<36} {:>11} {:>11} {:>18}"
    print()
    print(row.format(f"{name} (median of runs)", "upstream", "hit", "hit / upstream"))
    print("-" * 79)
    for q in ("p50", "p99"):
        print(
            row.format(
                f"latency {q}, c=1 (ms)",
                fmt(m[f"lat_upstream.{q}_ms"]),
                fmt(m[f"lat_hit.{q}_ms"]),
                f"x{fmt(m[f'ratio_{q}'])}",
            )
        )
    print(
        row.format(
            "throughput c=32 (req/s)",
            fmt(m["thr_upstream.rps"], ".0f"),
            fmt(m["thr_hit.rps"], ".0f"),
            f"x{fmt(m['thr_ratio'])}",
        )
    )
    print(
        row.format(
            "latency c=32 p50/p99 (ms)",
            f"{fmt(m['thr_upstream.p50_ms'], '.1f')}/{fmt(m['thr_upstream.p99_ms'], '.1f')}",
            f"{fmt(m['thr_hit.p50_ms'], '.1f')}/{fmt(m['thr_hit.p99_ms'], '.1f')}",
            "",
        )
    )
    print(
        row.format(
            "gateway CPU/req, c=1 (ms)",
            fmt(m["cpu_ms_per_req_upstream"]),
            fmt(m["cpu_ms_per_req_hit"]),
            "",
        )
    )


def brief(r: dict) -> str:
    parts = []
    if "added_p50_ms" in r:
        parts.append(f"added p50 {r['added_p50_ms']:.2f} ms p99 {r['added_p99_ms']:.2f} ms")
        parts.append(f"cpu {r['cpu_ms_per_req_c1']:.2f} ms/req")
    key = "rps" if "added_p50_ms" in r else "rps_little"
    parts.append(
        f"{key} direct {r['thr_direct'][key]:.1f} gateway {r['thr_gateway'][key]:.1f}"
        f" ({r['thr_ratio'] * 100:.0f} %)"
    )
    errs = r["thr_gateway"]["errors"] + r.get("lat_gateway", {}).get("errors", 0)
    if errs:
        parts.append(f"gateway errors {errs}")
    return "; ".join(parts) + lean.brief(r)


# ---------------------------------------------------------------- report


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def aims(res: dict) -> list[dict]:
    sc = res["scenarios"]
    small = sc.get("small", {}).get("median")
    b64 = sc.get("b64", {})
    slow = sc.get("slow", {}).get("median")
    cache = sc.get("cache", {}).get("median")
    out = []

    def add(name, value, aim, ok):
        out.append({"aim": name, "value": value, "target": aim, "result": verdict(ok)})

    if small:
        v = small["added_p50_ms"]
        add("added p50 latency, small answer", f"{v:.2f} ms", "<= 1 ms", v <= AIM_ADDED_P50_MS)
        v = small["cpu_ms_per_req_c1"]
        add("gateway CPU per small request", f"{v:.2f} ms", "<= 1 ms", v <= AIM_CPU_MS)
    if b64.get("median"):
        v = b64["median"]["thr_ratio"]
        flat = bool(b64.get("rss_flat"))
        add(
            "1.5 MB b64 throughput vs direct, memory flat",
            f"{v * 100:.1f} %, rss {'flat' if flat else 'GROWING'}",
            ">= 30 % and flat",
            v >= AIM_B64_RATIO and flat,
        )
    lean.aims(small, b64.get("median"), add)
    if slow:
        v = slow["thr_gateway.rps_little"]
        add(
            "200 ms upstream throughput vs ideal 160/s",
            f"{v:.1f} req/s ({v / IDEAL_SLOW_RPS * 100:.1f} %)",
            ">= 95 % (152 req/s)",
            v >= AIM_SLOW_FRACTION * IDEAL_SLOW_RPS and not slow["errors_gateway"],
        )
    if cache:
        v = cache["lat_hit.p50_ms"]
        add(
            "cache hit latency p50, c=1",
            f"{v:.2f} ms (x{cache['ratio_p50']:.2f} of upstream)",
            f"<= {AIM_CACHE_HIT_P50_MS:.0f} ms",
            v <= AIM_CACHE_HIT_P50_MS and not cache["errors_gateway"],
        )
    for name, aim in AIM_CACHE_HIT_THR.items():
        m = sc.get(name, {}).get("median")
        if m:
            v = m["thr_ratio"]
            ok = v >= aim and not m["errors_gateway"]
            add(f"{name}: hit / upstream throughput, c=32", f"x{v:.2f}", f">= x{aim:.0f}", ok)
    return out


def fmt(v: float, spec: str = ".2f") -> str:
    return "-" if v != v else format(v, spec)


def print_report(res: dict, json_path: Path) -> None:
    p = print
    s = res["settings"]
    p()
    p(f"Gateway benchmark  {res['date']}  cpus={res['machine']['cpus']}  runs={res['runs']}")
    p(
        "gunicorn: "
        + ", ".join(f"{k}={s.get(k, '?')}" for k in ("worker_class", "workers", "threads"))
        + f"; load client: {res['client']}, concurrency {CONCURRENCY}, {res['duration_s']} s/run"
    )
    if res["gateway_env_overrides"]:
        p(f"NOT the defaults: {res['gateway_env_overrides']}")
    p()
    row = "{:<36} {:>11} {:>11} {:>18}"
    if any(res["scenarios"].get(name, {}).get("median") for name in ("small", "b64", "slow")):
        p(row.format("figure (median of runs)", "direct", "gateway", "added / ratio"))
        p("-" * 79)
    for name, label in (("small", "small url"), ("b64", "1.5 MB b64_json")):
        m = res["scenarios"].get(name, {}).get("median")
        if not m:
            continue
        for q in ("p50", "p99"):
            p(
                row.format(
                    f"{label}: latency {q}, c=1 (ms)",
                    fmt(m[f"lat_direct.{q}_ms"]),
                    fmt(m[f"lat_gateway.{q}_ms"]),
                    f"+{fmt(m[f'added_{q}_ms'])} ms x{fmt(m[f'ratio_{q}'])}",
                )
            )
        p(
            row.format(
                f"{label}: throughput c=32 (req/s)",
                fmt(m["thr_direct.rps"], ".0f"),
                fmt(m["thr_gateway.rps"], ".0f"),
                f"{fmt(m['thr_ratio'] * 100, '.0f')} % of direct",
            )
        )
        p(
            row.format(
                f"{label}: gateway CPU/req (ms)",
                "",
                f"{fmt(m['cpu_ms_per_req_c1'])} c=1",
                f"{fmt(m['cpu_ms_per_req_c32'])} at c=32",
            )
        )
        for line in lean.rows(m, label, row, fmt):
            p(line)
    b64 = res["scenarios"].get("b64", {})
    if "rss_end_kb" in b64:
        mb = [b64[k] / 1024 for k in ("rss_idle_kb", "rss_start_kb", "rss_middle_kb", "rss_end_kb")]
        p(
            "1.5 MB b64_json: gateway RSS MB idle/start/mid/end (peak per third) "
            + "/".join(f"{x:.0f}" for x in mb)
            + f"; peak sampled {b64['rss_peak_sampled_kb'] / 1024:.0f}"
            + f"; sum VmHWM {b64['hwm_sum_kb'] / 1024:.0f}"
            + f" ({b64['rss_processes']} procs) -> {'flat' if b64['rss_flat'] else 'GROWING'}"
        )
    m = res["scenarios"].get("slow", {}).get("median")
    if m:
        p(
            row.format(
                "200 ms upstream: throughput c=32",
                fmt(m["thr_direct.rps_little"], ".1f"),
                fmt(m["thr_gateway.rps_little"], ".1f"),
                f"{fmt(m['slow_fraction_of_ideal'] * 100, '.1f')} % of 160/s",
            )
        )
        p(
            row.format(
                "  (completions counted in window)",
                fmt(m["thr_direct.rps"], ".1f"),
                fmt(m["thr_gateway.rps"], ".1f"),
                "",
            )
        )
        p(
            row.format(
                "200 ms upstream: latency c=32 p50/p99",
                "",
                f"{fmt(m['thr_gateway.p50_ms'], '.0f')}/{fmt(m['thr_gateway.p99_ms'], '.0f')} ms",
                f"{fmt(m['thr_ratio'] * 100, '.0f')} % of direct",
            )
        )
    for name in AIM_CACHE_HIT_THR:
        if res["scenarios"].get(name, {}).get("median"):
            print_cache(res["scenarios"][name]["median"], name)
    for name, sc in res["scenarios"].items():
        if "error" in sc:
            p(f"{name}: FAILED: {sc['error']}")
        elif sc.get("median", {}).get("errors_gateway"):
            p(f"{name}: gateway errors during runs: {sc['median']['errors_gateway']}")
    p()
    p("{:<46} {:>26} {:>18}  {}".format("aim", "measured", "target", "result"))
    p("-" * 100)
    for a in res["aims"]:
        p("{:<46} {:>26} {:>18}  {}".format(a["aim"], a["value"], a["target"], a["result"]))
    p()
    p(f"JSON: {json_path}")


def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = ""
    if load.have_wrk():
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        wrk = wrk.splitlines()[0] if wrk else ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_before": os.getloadavg(),
        "wrk": wrk,
    }


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (~1 min): 3 runs, 2 s each")
    ap.add_argument("--runs", type=int, help="runs per scenario (default 5, quick 3)")
    ap.add_argument("--duration", type=int, help="seconds per throughput run (default 5)")
    ap.add_argument("--samples", type=int, help="timed requests per latency run (default 500)")
    ap.add_argument("--warmup", type=int, default=30, help="warm-up requests (default 30)")
    ap.add_argument(
        "--scenarios",
        default="small,b64,slow,cache,cache_large",
        help="comma list of small,b64,slow,cache,cache_large (default all)",
    )
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    ap.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="GATEWAY_X=VALUE",
        help="extra gateway setting, e.g. GATEWAY_ACCESS_LOG=false (repeatable; for experiments)",
    )
    args = ap.parse_args(argv)
    for item in args.gateway_env:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("GATEWAY_") or key in ("GATEWAY_BIND", "GATEWAY_DATA_DIR"):
            ap.error(f"--gateway-env wants GATEWAY_NAME=VALUE, got {item!r}")
        EXTRA_ENV[key] = value
    args.runs = max(1, args.runs or (3 if args.quick else 5))
    args.duration = max(1, args.duration or (2 if args.quick else 5))
    args.samples = max(10, args.samples or (150 if args.quick else 500))
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        ap.error(f"unknown scenarios: {sorted(unknown)}")
    return args


def _sigterm(signum, frame):
    raise KeyboardInterrupt  # run the finally blocks that stop our processes


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    res: dict = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "client": "wrk" if load.have_wrk() else "python-threads (wrk not found)",
        "runs": args.runs,
        "duration_s": args.duration,
        "latency_samples": args.samples,
        "concurrency": CONCURRENCY,
        "quick": args.quick,
        "gateway_env_overrides": dict(EXTRA_ENV),
        "scenarios": {},
    }
    if not load.have_wrk():
        log("wrk not found: using the Python thread client (costly on 2 cores; apt install wrk)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmpdir:
        tmp = Path(tmpdir)
        fake, fake_port = start_fake(tmp)
        log(f"fake provider pid {fake.pid} on port {fake_port}")
        try:
            for name in args.scenarios:
                log(f"scenario {name}")
                try:
                    res["scenarios"][name] = run_scenario(
                        name, SCENARIOS[name], fake_port, tmp, args
                    )
                except (RuntimeError, OSError, ValueError, KeyError) as exc:
                    log(f"scenario {name} failed: {exc}")
                    res["scenarios"][name] = {"error": str(exc)[:2000]}
        finally:
            fake.stop()
    res["settings"] = next(
        (sc["gateway_settings"] for sc in res["scenarios"].values() if "gateway_settings" in sc),
        {},
    )
    res["elapsed_s"] = round(time.monotonic() - t0, 1)
    res["aims"] = aims(res)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
    print_report(res, args.json)
    log(f"done in {res['elapsed_s']} s")
    return 1 if any("error" in sc for sc in res["scenarios"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
