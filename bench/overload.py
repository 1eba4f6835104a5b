#!/usr/bin/env python3
"""Over capacity: how fast the gateway refuses a call it has no room for.

    python bench/overload.py                    # capacity 100, 5 s upstream, 3 runs
    python bench/overload.py --runs 1 --capacity 50

Each run fills the gateway (``GATEWAY_MAX_IN_FLIGHT``) with calls to the fake's slow
path, waits until ``/readyz`` says it is full, then sends ``--extra`` more calls, each on
a new connection from ``B`` client threads at once, and times every answer on its own;
``--burst`` lists the values of ``B`` (1,5,10,20), each measured ``--runs`` times.
Every extra call must be a 503 ``gateway_overloaded`` with ``Retry-After`` (aim: p99
<= 50 ms) and every call that held the capacity a 200. bench/README.md ("Over
capacity") says how to read it; the figures are medians over runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capacity
import load
import log_rows
import probe
import run
from run import ROOT, log, python_exe

RESULTS = ROOT / "bench" / "results" / "overload.json"
AIM_P99_MS = 50.0
PATH = "/v1/images/generations"


def wait_full(base: str, deadline_s: float = 15.0) -> float:
    """Seconds until ``/readyz`` answers 503 (every place taken), or raise."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2):
                pass
        except urllib.error.HTTPError as exc:
            if exc.code == 503:
                return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("the gateway never reported itself full (/readyz)")


def one_call(base: str, timeout: float) -> probe.Answer:
    conn = probe.connection(base, timeout)
    try:
        return probe.post(conn, PATH, {}, load.body_for("small"))
    finally:
        conn.close()


def one_run(base: str, db: Path, burst_threads: int, args) -> dict:
    since = time.time()
    body_timeout = args.upstream_ms / 1000 + 30
    with ThreadPoolExecutor(args.capacity) as holders:
        held = [holders.submit(one_call, base, body_timeout) for _ in range(args.capacity)]
        filled_s = wait_full(base)
        t0 = time.monotonic()
        with ThreadPoolExecutor(burst_threads) as burst:
            extra = list(burst.map(lambda _: one_call(base, 10), range(args.extra)))
        burst_s = time.monotonic() - t0
        held_answers = [f.result(timeout=body_timeout + 5) for f in held]
    r = judge(held_answers, extra, filled_s, burst_s, args.upstream_ms)
    r.update(logged(db, since, len(held_answers) + len(extra)))
    return r


def logged(db: Path, since: float, sent: int) -> dict:
    """The refusals as the request log saw them: the time from the view's start to the
    row (no accept, parse or client queueing in it)."""
    n, _waited = log_rows.settle(db, since, sent)
    lat = sorted(
        r["latency_ms"]
        for r in log_rows.rows(db, since)
        if r["status"] == 503 and r["error_code"] == "gateway_overloaded"
    )
    return {
        "logged": n,
        "logged_refusals": len(lat),
        "gateway_p50_ms": load.percentile(lat, 50),
        "gateway_p99_ms": load.percentile(lat, 99),
    }


def judge(held: list, extra: list, filled_s: float, burst_s: float, upstream_ms: int) -> dict:
    refused = [a for a in extra if a.status == 503 and a.code == "gateway_overloaded"]
    lat = sorted(a.seconds * 1000 for a in refused)
    return {
        "held": len(held),
        "held_ok": sum(a.status == 200 for a in held),
        "held_statuses": dict(Counter(a.status for a in held)),
        "extra": len(extra),
        "refused": len(refused),
        "refused_with_retry_after": sum(a.retry_after == "1" for a in refused),
        "extra_statuses": dict(Counter(f"{a.status} {a.code or a.error or ''}" for a in extra)),
        "p50_ms": load.percentile(lat, 50),
        "p99_ms": load.percentile(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "fill_s": filled_s,
        "burst_s": burst_s,
        "burst_within_hold": filled_s + burst_s < upstream_ms / 1000,
    }


def summarise(runs: list[dict]) -> dict:
    keys = ("p50_ms", "p99_ms", "max_ms", "gateway_p50_ms", "gateway_p99_ms")
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    for k in ("held", "held_ok", "extra", "refused", "refused_with_retry_after", "logged"):
        med[k] = sum(r[k] for r in runs)
    med["p99_range_ms"] = (min(r["p99_ms"] for r in runs), max(r["p99_ms"] for r in runs))
    med["burst_within_hold"] = all(r["burst_within_hold"] for r in runs)
    med["correct"] = (
        med["held_ok"] == med["held"]
        and med["refused"]
        == med["extra"]
        == med["refused_with_retry_after"]
        == med["logged"] - med["held"]
        and med["burst_within_hold"]
    )
    med["fast"] = med["p99_ms"] <= AIM_P99_MS
    return med


def bench(args, tmp: Path) -> dict:
    fake_cmd = [python_exe(), "-u", str(ROOT / "bench" / "fake_upstream.py"), "--no-record"]
    fake, fake_port = run.start_fake(tmp, fake_cmd)
    started = [fake]
    out: dict = {}
    try:
        upstream = f"http://127.0.0.1:{fake_port}/slow/{args.upstream_ms}/v1"
        env = {"GATEWAY_MAX_IN_FLIGHT": str(args.capacity), **args.overrides}
        gw, out["gateway_settings"] = capacity.start_gateway(upstream, tmp, env)
        started.append(gw.proc)
        base = gw.url.removesuffix(PATH)
        db = tmp / "data-gateway" / "gateway.db"
        out["bursts"] = {b: {"runs": []} for b in args.burst}
        for b, i in ((b, i) for b in args.burst for i in range(args.runs)):
            r = one_run(base, db, b, args)
            out["bursts"][b]["runs"].append(r)
            log(
                f"burst {b}, run {i + 1}/{args.runs}: {r['refused']}/{r['extra']} refused, p50 "
                f"{r['p50_ms']:.1f} p99 {r['p99_ms']:.1f} max {r['max_ms']:.1f} ms; held "
                f"{r['held_ok']}/{r['held']} ok; burst {r['burst_s'] * 1000:.0f} ms; in the "
                f"log: {r['logged']} rows, refusal p99 {r['gateway_p99_ms']:.2f} ms"
            )
        out["gateway_alive_at_end"] = gw.proc.alive()
    finally:
        for proc in reversed(started):
            proc.stop()
    return out


def print_report(res: dict, path: Path) -> None:
    print(
        f"\nOver capacity: GATEWAY_MAX_IN_FLIGHT={res['capacity']} held by as many calls to a "
        f"{res['upstream_ms']} ms upstream, then {res['extra']} extra calls from B threads "
        f"at once; {res['runs']} runs per B, medians"
    )
    print(
        f"{'B':>3} {'held 200':>9} {'503+RA':>9} {'p50 ms':>7} {'p99 ms':>7} {'(runs)':>13} "
        f"{'max ms':>7} {'own p50':>8} {'own p99':>8}  aim p99 <= {AIM_P99_MS:.0f} ms"
    )
    for b, entry in res["bursts"].items():
        m = entry["median"]
        lo, hi = m["p99_range_ms"]
        print(
            f"{b:>3} {m['held_ok']:>4}/{m['held']:<4} {m['refused_with_retry_after']:>4}/"
            f"{m['extra']:<4} {m['p50_ms']:>7.1f} {m['p99_ms']:>7.1f} {f'{lo:.1f}..{hi:.1f}':>13} "
            f"{m['max_ms']:>7.1f} {m['gateway_p50_ms']:>8.2f} {m['gateway_p99_ms']:>8.2f}  "
            f"{'PASS' if m['fast'] else 'MISS'}{'' if m['correct'] else ' (WRONG ANSWERS)'}"
        )
        for r in entry["runs"]:
            if not r["burst_within_hold"] or len(r["extra_statuses"]) > 1:
                print(f"    run: extra {r['extra_statuses']}, held {r['held_statuses']}")
    print("(own: the refusal's time in the view, from the request log; 503+RA: 503")
    print(f" gateway_overloaded with Retry-After: 1, each logged) -> {path}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--capacity", type=int, default=100, help="GATEWAY_MAX_IN_FLIGHT (100)")
    ap.add_argument("--extra", type=int, help="calls beyond the capacity (2 x capacity)")
    ap.add_argument("--burst", default="1,5,10,20", help="client threads at once (1,5,10,20)")
    ap.add_argument("--upstream-ms", type=int, default=5000, help="fake upstream delay (5000)")
    ap.add_argument("--runs", type=int, default=3, help="runs; figures are medians (3)")
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"results file ({RESULTS})")
    ap.add_argument("--gateway-env", action="append", default=[], metavar="GATEWAY_X=VALUE")
    args = ap.parse_args(argv)
    args.extra = args.extra or 2 * args.capacity
    args.burst = [int(b) for b in args.burst.split(",") if b]
    args.overrides = dict(item.partition("=")[::2] for item in args.gateway_env)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, run._sigterm)  # KeyboardInterrupt: finally blocks stop PIDs
    capacity.raise_fd_limit()
    res = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": run.machine_info(),
        **{k: getattr(args, k) for k in ("capacity", "extra", "upstream_ms", "runs")},
        "gateway_env_overrides": args.overrides,
    }
    with tempfile.TemporaryDirectory(prefix="gw-overload-") as tmpdir:
        res.update(bench(args, Path(tmpdir)))
    for entry in res["bursts"].values():
        entry["median"] = summarise(entry["runs"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
    print_report(res, args.json)
    correct = all(entry["median"]["correct"] for entry in res["bursts"].values())
    return 0 if correct and res["gateway_alive_at_end"] else 1


if __name__ == "__main__":
    sys.exit(main())
