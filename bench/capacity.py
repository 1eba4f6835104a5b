#!/usr/bin/env python3
"""Long-upstream capacity: many clients against a provider that takes seconds per call.

    python bench/capacity.py                      # 1,000 clients, 5 s upstream, 3 x 30 s
    python bench/capacity.py --duration 10 --runs 1 --gateway-env GATEWAY_THREADS=500

Each run measures, back to back with the same wrk command, the fake upstream direct, the
gateway (gunicorn.conf.py) and the naive Flask + requests proxy (bench/naive_proxy.py,
gthread, the gateway's worker count and per-worker capacity); the figures are medians over
runs, ratios taken within a run. bench/README.md ("Capacity") says what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capacity_report
import load
import run
from run import ROOT, Managed, RssSampler, children, cpu_ticks, log, python_exe

RESULTS = ROOT / "bench" / "results" / "capacity.json"
BACKLOG = 2048  # gunicorn's default; above the 1,000 connections wrk opens at once


@dataclass
class Target:
    name: str
    url: str
    proc: Managed
    tree: bool  # a gunicorn master whose workers count in RSS and CPU


def raise_fd_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard one: wrk and the servers inherit it from us."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def wait_up(proc: Managed, port: int, path: str, workers: int) -> None:
    """Until ``path`` answers (any HTTP status) and ``workers`` workers exist, or raise."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.alive():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.stop()
        raise RuntimeError(f"{proc.name} did not start:\n{proc.log_tail()}")
    deadline = time.monotonic() + 20
    while len(children(proc.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)


def start_gateway(base_url: str, tmp: Path, overrides: dict) -> tuple[Target, dict]:
    port = run.free_port()
    (tmp / "data-gateway").mkdir()
    env = {**run.gateway_env(port, tmp / "data-gateway", base_url), **overrides}
    settings = run.gateway_settings(env)
    gw = Managed("gateway", [python_exe(), *run.GUNICORN], env, tmp)
    wait_up(gw, port, "/healthz", int(settings.get("workers") or 1))
    return Target("gateway", f"http://127.0.0.1:{port}/v1/images/generations", gw, True), settings


def naive_sizing(gw: dict, threads: int | None) -> dict:
    """The gateway's worker count and in-flight capacity, as gthread settings."""
    per_worker = int(gw.get("threads") or 1)
    if "thread" not in gw.get("worker_class", "").lower():
        # gevent: worker_connections is the whole instance's capacity (GATEWAY_MAX_IN_FLIGHT).
        per_worker = int(gw.get("worker_connections") or per_worker)
    per_worker = threads or per_worker
    # No more connections than threads: a gthread worker queues, out of sight, what its
    # threads cannot take (the naive proxy has no admission control to cap the total).
    return {
        "workers": int(gw.get("workers") or 1),
        "threads": per_worker,
        "worker_connections": per_worker,
    }


def start_naive(upstream: str, tmp: Path, size: dict) -> Target:
    port = run.free_port()
    empty_conf = tmp / "naive.conf.py"  # not the repo's gunicorn.conf.py (read from cwd)
    empty_conf.write_text("")
    cmd = [
        python_exe(),
        "-m",
        "gunicorn",
        "-c",
        str(empty_conf),
        "-k",
        "gthread",
        f"--workers={size['workers']}",
        f"--threads={size['threads']}",
        f"--worker-connections={size['worker_connections']}",
        f"--backlog={BACKLOG}",
        "--keep-alive=5",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT / 'bench'}",
        "naive_proxy:app",
    ]
    env = run.gateway_env(port, tmp, upstream)
    env["NAIVE_UPSTREAM"] = upstream
    proc = Managed("naive", cmd, env, tmp)
    wait_up(proc, port, "/", size["workers"])
    return Target("naive", f"http://127.0.0.1:{port}/v1/images/generations", proc, True)


def measure(t: Target, args) -> dict:
    """One wrk run against ``t``: throughput, latency, errors, CPU and RSS of its tree."""
    sampler = RssSampler(t.proc.pid, interval=0.5)
    sampler.start()
    load_before = os.getloadavg()[0]
    c0 = cpu_ticks(t.proc.pid)
    try:
        w = load.wrk_run(t.url, "small", args.clients, args.duration, threads=args.wrk_threads)
    finally:
        sampler.stop()
    cpu_s = (cpu_ticks(t.proc.pid) - c0) / run.CLK_TCK
    # Calls whose client wrk dropped at its deadline still run upstream: let them end, or
    # the next run would start above the admission capacity (503 gateway_overloaded).
    time.sleep(args.upstream_ms / 1000 + 1)
    raw = w["raw"]
    rss = [s[1] for s in sampler.samples] or [0]
    return {
        "rps": w["rps"],
        "rps_little": w["rps_little"],
        "requests": raw["requests"],
        "p50_ms": w["p50_ms"],
        "p99_ms": w["p99_ms"],
        "max_ms": raw["lat_max_us"] / 1000,
        "errors": {k[4:]: raw[k] for k in raw if k.startswith("err_")},
        "errors_total": w["errors"],
        "cpu_s": cpu_s,
        "cpu_pct": 100 * cpu_s / w["seconds"],
        "rss_peak_mib": max(rss) / 1024,
        "rss_end_mib": rss[-1] / 1024,
        "processes": sampler.samples[-1][3] if sampler.samples else 0,
        "loadavg_1m_before": load_before,
    }


def sanity(t: Target) -> None:
    client = load.KeepAliveClient(t.url, "small", timeout=60)
    try:
        status, data = client.once()
    finally:
        client.close()
    if status != 200 or b'"url"' not in data:
        raise RuntimeError(f"{t.name} answered {status}: {data[:300]!r}")


def measure_all(targets: list[Target], args) -> list[dict]:
    runs = []
    for i in range(args.runs):
        r = {t.name: measure(t, args) for t in targets}
        for name in ("gateway", "naive"):
            if name in r and r.get("direct", {}).get("rps"):
                r[f"{name}_ratio"] = r[name]["rps"] / r["direct"]["rps"]
        runs.append(r)
        log(f"run {i + 1}/{args.runs}: " + capacity_report.brief(r))
    return runs


def bench(args, tmp: Path) -> dict:
    fake_cmd = [python_exe(), "-u", str(ROOT / "bench" / "fake_upstream.py"), "--no-record"]
    fake, fake_port = run.start_fake(tmp, fake_cmd)
    started = [fake]
    out: dict = {}
    try:
        base = f"http://127.0.0.1:{fake_port}/slow/{args.upstream_ms}/v1"
        targets = [Target("direct", f"{base}/images/generations", fake, False)]
        # The gateway always starts: the naive proxy copies its resolved sizing.
        gw, out["gateway_settings"] = start_gateway(base, tmp, args.overrides)
        started.append(gw.proc)
        targets.append(gw)
        if "naive" in args.targets:
            out["naive_settings"] = naive_sizing(out["gateway_settings"], args.naive_threads)
            naive = start_naive(f"{base}/images/generations", tmp, out["naive_settings"])
            started.append(naive.proc)
            targets.append(naive)
        targets = [t for t in targets if t.name in args.targets]
        for t in targets:
            sanity(t)
            idle = run.rss_kb(t.proc.pid)[0] / 1024
            out.setdefault("rss_idle_mib", {})[t.name] = idle
            warm = load.wrk_run(t.url, "small", args.clients, args.warmup, threads=args.wrk_threads)
            log(f"{t.name}: answered; idle RSS {idle:.0f} MiB; warm-up errors {warm['errors']}")
            time.sleep(args.upstream_ms / 1000 + 1)  # drain, as after each measured run
        out["runs"] = measure_all(targets, args)
        out["alive_at_end"] = {t.name: t.proc.alive() for t in targets}
    finally:
        for proc in reversed(started):
            proc.stop()
    return out


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=30, help="seconds per wrk run (30)")
    ap.add_argument("--clients", type=int, default=1000, help="wrk connections (1000)")
    ap.add_argument("--upstream-ms", type=int, default=5000, help="fake upstream delay (5000)")
    ap.add_argument("--runs", type=int, default=3, help="runs; figures are medians (3)")
    ap.add_argument("--warmup", type=int, help="seconds of load before measuring (2 x upstream)")
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (2)")
    ap.add_argument("--targets", default="direct,gateway,naive", help="comma list (all)")
    ap.add_argument("--naive-threads", type=int, help="naive proxy threads per worker")
    ap.add_argument("--label", default="defaults", help="name of this option in the results")
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"results file ({RESULTS})")
    ap.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="GATEWAY_X=VALUE",
        help="gateway setting for this run, e.g. GATEWAY_THREADS=500 (repeatable)",
    )
    args = ap.parse_args(argv)
    args.overrides = {}
    for item in args.gateway_env:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("GATEWAY_") or key in ("GATEWAY_BIND", "GATEWAY_DATA_DIR"):
            ap.error(f"--gateway-env wants GATEWAY_NAME=VALUE, got {item!r}")
        args.overrides[key] = value
    args.targets = [t for t in args.targets.split(",") if t]
    args.warmup = args.warmup or max(2, 2 * args.upstream_ms // 1000 + 1)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, run._sigterm)  # KeyboardInterrupt: finally blocks stop PIDs
    nofile = raise_fd_limit()
    res = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "label": args.label,
        "machine": run.machine_info(),
        "nofile": nofile,
        "clients": args.clients,
        "upstream_ms": args.upstream_ms,
        "duration_s": args.duration,
        "wrk_threads": args.wrk_threads,
        "gateway_env_overrides": args.overrides,
    }
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gw-capacity-") as tmpdir:
        res.update(bench(args, Path(tmpdir)))
    res["elapsed_s"] = round(time.monotonic() - t0, 1)
    res["median"] = capacity_report.summarise(res["runs"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
    capacity_report.print_report(res, args.json)
    return 0 if all(res.get("alive_at_end", {}).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
