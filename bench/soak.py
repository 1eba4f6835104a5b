#!/usr/bin/env python3
"""Soak with faults: saturating load on an upstream that fails, while workers recycle.

    python bench/soak.py                 # 10 minutes
    python bench/soak.py --minutes 2     # shorter

The fake upstream (bench/fault_upstream.py) answers each call with a seeded mix of
instant and slow (1-5 s) successes, 500s, 429s with Retry-After, answers cut halfway
and connection resets. The gateway runs with a small ``GATEWAY_MAX_IN_FLIGHT`` and a
small ``GATEWAY_MAX_REQUESTS``, so workers recycle many times, and gets a SIGHUP (by
PID) halfway through. More clients than capacity keep it saturated, so admission 503s
happen too; a share of the requests carry an ``x-portkey-config`` with retry and
fallback between two faulty targets. Afterwards every request sent is matched with its
answer and its request-log row (bench/soak_report.py). Exit 1 if a request was lost or
a 5xx other than the injected ones and admission appeared. bench/README.md ("Soak").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capacity
import log_rows
import run
import soak_report
import tree_watch
from run import ROOT, log, python_exe
from soak_client import Load
from tree_watch import TreeWatcher

RESULTS = ROOT / "bench" / "results" / "soak.json"
IDLE_WAIT_S = 8.0
# Lines of the gateway's output worth counting: recycling, the HUP, and trouble.
LOG_PATTERNS = {
    "autorestart": r"Autorestarting worker",
    "booting": r"Booting worker",
    "hup": r"Handling signal: hup",
    "errors": r"\[ERROR\]|\"level\": ?\"ERROR\"|Traceback",
}


def fallback_config(fake: str, seed: int) -> str:
    """Retry on the first faulty target, then fall back to a second one (other seeds)."""

    def target(n: int, **extra) -> dict:
        host = f"{fake}/mix/{seed + n}/v1"
        return {"provider": "openai", "api_key": "sk-bench", "custom_host": host, **extra}

    config = {
        "strategy": {"mode": "fallback"},
        "targets": [target(1, retry={"attempts": 2}), target(2)],
    }
    return json.dumps(config, separators=(",", ":"))


def scan_log(path: Path) -> dict:
    counts = dict.fromkeys(LOG_PATTERNS, 0)
    examples: list[str] = []
    with open(path, errors="replace") as f:
        for line in f:
            for name, pattern in LOG_PATTERNS.items():
                if re.search(pattern, line):
                    counts[name] += 1
                    if name == "errors" and len(examples) < 5:
                        examples.append(line.strip()[:300])
    return {**counts, "error_examples": examples}


def fake_served(fake: str) -> dict:
    with urllib.request.urlopen(f"{fake}/__mix", timeout=10) as resp:
        return json.loads(resp.read())


def drive(load: Load, gw_pid: int, args) -> dict:
    """Run the load for ``args.seconds``, HUP the master at ``args.hup_at``; log progress."""
    t0 = time.monotonic()
    hup: dict = {"sent": False}
    next_line = args.progress
    load.start()
    while (elapsed := time.monotonic() - t0) < args.seconds:
        if not hup["sent"] and elapsed >= args.hup_at:
            os.kill(gw_pid, signal.SIGHUP)
            hup = {"sent": True, "at_s": elapsed}
            log(f"SIGHUP to the gunicorn master {gw_pid} at {elapsed:.0f} s")
        if elapsed >= next_line:
            records, pending = load.snapshot()
            log(f"{elapsed:.0f} s: {len(records)} answered or failed, {len(pending)} in flight")
            next_line += args.progress
        time.sleep(min(0.5, args.seconds - elapsed))
    busy = load.finish(timeout=120)
    return {**hup, "clients_still_busy": busy, "load_s": time.monotonic() - t0}


def bench(args, tmp: Path) -> dict:
    fake_cmd = [python_exe(), "-u", str(ROOT / "bench" / "fault_upstream.py")]
    fake_proc, fake_port = run.start_fake(tmp, fake_cmd)
    started = [fake_proc]
    fake = f"http://127.0.0.1:{fake_port}"
    out: dict = {}
    try:
        env = {
            "GATEWAY_MAX_IN_FLIGHT": str(args.max_in_flight),
            "GATEWAY_MAX_REQUESTS": str(args.max_requests),
            "GATEWAY_MAX_REQUESTS_JITTER": str(args.jitter),
            "GATEWAY_ALLOWED_CUSTOM_HOSTS": fake,
            **args.overrides,
        }
        gw, out["gateway_settings"] = capacity.start_gateway(f"{fake}/mix/{args.seed}/v1", tmp, env)
        started.append(gw.proc)
        db = tmp / "data-gateway" / "gateway.db"
        config = fallback_config(fake, args.seed)
        load = Load(gw.url, args.clients, args.seed, config, args.config_share)
        watcher = TreeWatcher(gw.proc.pid)
        since = time.time()
        watcher.start()
        try:
            out["drive"] = drive(load, gw.proc.pid, args)
        finally:
            watcher.stop()
        records, pending = load.snapshot()
        out["log_rows"], out["log_wait_s"] = log_rows.settle(db, since, len(records) + len(pending))
        out["accounting"] = soak_report.reconcile(records, pending, log_rows.rows(db, since))
        served = fake_served(fake)
        out["upstream"] = soak_report.upstream_check(log_rows.attempts(db, since), served)
        out["tree"] = watcher.summary()
        # Kept-alive connections end within the keepalive (5 s): what is left then stays.
        time.sleep(IDLE_WAIT_S)
        _t, rss, _procs, fds, _master = watcher.sample()
        kinds = tree_watch.fd_kinds([gw.proc.pid, *run.children(gw.proc.pid)])
        out["idle_after"] = {"wait_s": IDLE_WAIT_S, "rss_mib": rss / 1024, "fds": fds}
        out["idle_after"]["fd_kinds"] = kinds
        out["gateway_alive_at_end"] = gw.proc.alive()
    finally:
        for proc in reversed(started):
            proc.stop()
    out["gateway_log"] = scan_log(gw.proc.log_path)
    return out


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the load (10)")
    ap.add_argument("--seconds", type=float, help="length in seconds (instead of --minutes)")
    ap.add_argument("--clients", type=int, default=96, help="closed-loop clients (96)")
    ap.add_argument("--max-in-flight", type=int, default=64, help="GATEWAY_MAX_IN_FLIGHT (64)")
    ap.add_argument("--max-requests", type=int, default=500, help="GATEWAY_MAX_REQUESTS (500)")
    ap.add_argument("--jitter", type=int, default=50, help="GATEWAY_MAX_REQUESTS_JITTER (50)")
    ap.add_argument("--config-share", type=float, default=0.25, help="share with a config")
    ap.add_argument("--hup-at", type=float, help="seconds into the load (half of it)")
    ap.add_argument("--seed", type=int, default=1, help="fault mix and routing seed (1)")
    ap.add_argument("--progress", type=int, default=30, help="seconds between progress lines")
    ap.add_argument("--json", type=Path, default=RESULTS, help=f"results file ({RESULTS})")
    ap.add_argument("--gateway-env", action="append", default=[], metavar="GATEWAY_X=VALUE")
    args = ap.parse_args(argv)
    args.seconds = args.seconds or args.minutes * 60
    args.hup_at = args.seconds / 2 if args.hup_at is None else args.hup_at
    args.overrides = dict(item.partition("=")[::2] for item in args.gateway_env)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, run._sigterm)  # KeyboardInterrupt: finally blocks stop PIDs
    capacity.raise_fd_limit()
    res = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": run.machine_info(),
        "max_requests_jitter": args.jitter,
        **{
            k: getattr(args, k)
            for k in ("seconds", "clients", "max_in_flight", "max_requests", "seed", "hup_at")
        },
        "gateway_env_overrides": args.overrides,
    }
    res["hup_at_s"] = res.pop("hup_at")
    with tempfile.TemporaryDirectory(prefix="gw-soak-") as tmpdir:
        res.update(bench(args, Path(tmpdir)))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
    soak_report.print_report(res, args.json)
    ok = res["accounting"]["pass"] and res["upstream"]["agrees"]
    return 0 if ok and res["gateway_alive_at_end"] else 1


if __name__ == "__main__":
    sys.exit(main())
