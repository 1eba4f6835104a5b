#!/usr/bin/env python3
"""Scale-out benchmark: one instance on SQLite against three on PostgreSQL + Redis behind nginx.

    python bench/scale_out.py [--runs 3] [--duration 5] [--scenarios anon,keyed]

One fake upstream (``tests/e2e/fake_provider.py``, small ``url`` answer) behind four
targets, measured back to back in every run with wrk at c=32 (``bench/load.py``):

* ``direct``: the fake itself;
* ``single``: one gateway on SQLite (``bench/run.py``'s gateway: default settings);
* ``single+nginx``: the same gateway behind the shipped ``deploy/nginx.conf`` (nginx's
  share of the difference);
* ``single-pg``: one gateway on the cluster's PostgreSQL database and Redis, no nginx (the
  engine's share: the same one instance, its store over the network);
* ``cluster``: three gateways (default settings each, ``GATEWAY_TRUSTED_PROXIES=1``) on one
  fresh PostgreSQL database and a claimed Redis database, behind nginx round robin
  (``tests/e2e/cluster.py``).

Scenarios: ``anon`` sends the provider key alone (no gateway key: no limits, as
``bench/run.py``); ``keyed`` adds a gateway API key with an rpm limit and a daily budget
far above what the run spends, so every request is authenticated and reserves and settles
its limits: SQLite transactions on ``single``, one Lua script each way in Redis on
``cluster``. Ratios are taken within each run; the figure is the median over runs. CPU per
request is counted for each process tree from ``/proc`` (gunicorn masters with their
workers, nginx master with its workers, the PostgreSQL backends of this database);
Redis's is its server-wide ``used_cpu_*`` (``INFO cpu``). RSS is read after the runs.

Writes ``bench/results/scale_out.json``. See bench/README.md, "Scale-out".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402 - bench/load.py
import psycopg  # noqa: E402
import redis  # noqa: E402
import run  # noqa: E402 - bench/run.py: fake, gateway, /proc helpers

from tests.e2e.cluster import (  # noqa: E402
    Cluster,
    ClusterNginx,
    Unavailable,
    claim_redis_db,
    nginx_binary,
    release_redis_db,
)
from tests.store_servers import fresh_database, libpq  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale_out.json"
CONCURRENCY = 32
TARGETS = ("direct", "single", "single+nginx", "single-pg", "cluster")
SCENARIOS = ("anon", "keyed")
LIMITS = ("--rpm", "100000000", "--daily-usd", "1000000")  # never reached in a run
NGINX_CONNECTIONS = 1024
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def log(msg: str) -> None:
    print(f"[scale-out {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- measuring trees


def _ticks(pid: int) -> int:
    fields = run._stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _status_kb(pid: int, key: str) -> int:
    return run._status_kb(pid, key)


class Trees:
    """The process trees of one bench: CPU ticks and memory, read from /proc."""

    def __init__(
        self,
        single: int,
        single_nginx: int,
        single_pg: int,
        cluster: Cluster,
        pg_url: str,
        rds: str,
    ) -> None:
        self.single = single
        self.single_nginx = single_nginx
        self.single_pg = single_pg
        self.cluster = cluster
        self.pg_url = pg_url
        self.redis = redis.Redis.from_url(rds, socket_timeout=3)
        self.database = psycopg.connect(libpq(pg_url), autocommit=True)

    def close(self) -> None:
        self.redis.close()
        self.database.close()

    def backends(self) -> list[int]:
        """PostgreSQL backends connected to the bench's database (the gateways' pools)."""
        rows = self.database.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
        return [pid for (pid,) in rows]

    def snapshot(self) -> dict[str, float]:
        """CPU seconds so far of each tree (cumulative; differences are what count)."""
        snap = {
            "single": run.cpu_ticks(self.single) / run.CLK_TCK,
            "single_nginx": run.cpu_ticks(self.single_nginx) / run.CLK_TCK,
            "single_pg": run.cpu_ticks(self.single_pg) / run.CLK_TCK,
            "cluster_nginx": run.cpu_ticks(self.cluster.front.pid) / run.CLK_TCK,
        }
        for i, gateway in enumerate(self.cluster.instances):
            snap[f"cluster_{i}"] = run.cpu_ticks(gateway.pid) / run.CLK_TCK
        snap["postgres"] = sum(_ticks(pid) for pid in self.backends()) / run.CLK_TCK
        info = self.redis.info("cpu")
        snap["redis"] = float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
        return snap

    def memory_mib(self) -> dict[str, float]:
        out = {
            "single": run.rss_kb(self.single)[0] / 1024,
            "single_nginx": run.rss_kb(self.single_nginx)[0] / 1024,
            "single_pg": run.rss_kb(self.single_pg)[0] / 1024,
            "cluster_nginx": run.rss_kb(self.cluster.front.pid)[0] / 1024,
        }
        for i, gateway in enumerate(self.cluster.instances):
            out[f"cluster_{i}"] = run.rss_kb(gateway.pid)[0] / 1024
        out["cluster_gunicorn"] = sum(out[f"cluster_{i}"] for i in range(3))
        backends = self.backends()
        # Private memory only: a backend's VmRSS also counts the shared buffers it touched.
        out["postgres_backends_anon"] = sum(_status_kb(p, "RssAnon") for p in backends) / 1024
        out["postgres_backends"] = len(backends)
        out["redis_rss"] = int(self.redis.info("memory")["used_memory_rss"]) / 1024 / 1024
        return out


# What each target's CPU per request adds up (tree names of ``Trees.snapshot``).
TARGET_TREES = {
    "direct": (),
    "single": ("single",),
    "single+nginx": ("single", "single_nginx"),
    "single-pg": ("single_pg", "postgres", "redis"),
    "cluster": ("cluster_0", "cluster_1", "cluster_2", "cluster_nginx", "postgres", "redis"),
}


# ---------------------------------------------------------------- setup


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "gateway"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"gateway {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def sanity(url: str, headers: dict[str, str]) -> None:
    client = load.KeepAliveClient(url, "small", timeout=30, headers=headers)
    try:
        status, data = client.once()
    finally:
        client.close()
    if status != 200 or b'"url"' not in data:
        raise RuntimeError(f"{url} answered {status}: {data[:300]!r}")


def measure(urls: dict[str, str], headers: dict[str, dict], trees: Trees, args) -> dict:
    """One run: every target back to back; throughput, latency and CPU per request."""
    out: dict[str, Any] = {}
    for target in TARGETS:
        before = trees.snapshot()
        thr = load.throughput_run(
            urls[target], "small", CONCURRENCY, args.duration, headers[target]
        )
        after = trees.snapshot()
        done = max(thr["requests"], 1)
        cpu = {name: (after[name] - before[name]) * 1000 / done for name in TARGET_TREES[target]}
        out[target] = {
            "rps": thr["rps"],
            "errors": thr["errors"],
            "p50_ms": thr["p50_ms"],
            "p99_ms": thr["p99_ms"],
            "cpu_ms_per_req": cpu,
            "cpu_ms_per_req_total": sum(cpu.values()),
        }
    for target in TARGETS[1:]:
        out[target]["vs_direct"] = out[target]["rps"] / out["direct"]["rps"]
    out["cluster_vs_single"] = out["cluster"]["rps"] / out["single"]["rps"]
    out["cluster_vs_single_nginx"] = out["cluster"]["rps"] / out["single+nginx"]["rps"]
    out["single_pg_vs_single"] = out["single-pg"]["rps"] / out["single"]["rps"]
    out["cpu_single_pg_vs_single"] = (
        out["single-pg"]["cpu_ms_per_req_total"] / out["single"]["cpu_ms_per_req_total"]
    )
    out["cpu_cluster_vs_single"] = (
        out["cluster"]["cpu_ms_per_req_total"] / out["single"]["cpu_ms_per_req_total"]
    )
    return out


RATIOS = (
    "cluster_vs_single",
    "cluster_vs_single_nginx",
    "cpu_cluster_vs_single",
    "single_pg_vs_single",
    "cpu_single_pg_vs_single",
)


def median_of(runs: list[dict], *path: str) -> float:
    values = []
    for r in runs:
        v: Any = r
        for part in path:
            v = v[part]
        values.append(float(v))
    return run.med(values)


def summarise(runs: list[dict]) -> dict:
    m: dict[str, Any] = {}
    for target in TARGETS:
        m[target] = {
            key: median_of(runs, target, key)
            for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req_total")
        }
        m[target]["errors"] = sum(r[target]["errors"] for r in runs)
        m[target]["cpu_ms_per_req"] = {
            tree: median_of(runs, target, "cpu_ms_per_req", tree) for tree in TARGET_TREES[target]
        }
        if target != "direct":
            m[target]["vs_direct"] = median_of(runs, target, "vs_direct")
    for key in RATIOS:
        m[key] = median_of(runs, key)
    return m


def print_report(res: dict) -> None:
    p = print
    p()
    p(
        f"Scale-out benchmark {res['date']}  cpus={res['machine']['cpus']}  runs={res['runs']}"
        f" x {res['duration_s']} s, wrk c={CONCURRENCY}, small url answer; load average"
        f" before {res['machine']['loadavg_before'][0]:.1f}, after {res['loadavg_after'][0]:.1f}"
    )
    for name, sc in res["scenarios"].items():
        if "error" in sc:
            p(f"\n{name}: FAILED: {sc['error']}")
            continue
        m = sc["median"]
        p(f"\n{name} (median of {res['runs']} runs)")
        row = "{:<14} {:>9} {:>10} {:>9} {:>9} {:>10}  {}"
        p(row.format("target", "req/s", "x direct", "p50 ms", "p99 ms", "CPU ms/req", "by tree"))
        p("-" * 100)
        for target in TARGETS:
            t = m[target]
            trees = ", ".join(f"{k} {v:.2f}" for k, v in t["cpu_ms_per_req"].items())
            p(
                row.format(
                    target,
                    f"{t['rps']:.0f}",
                    "" if target == "direct" else f"x{t['vs_direct']:.2f}",
                    f"{t['p50_ms']:.1f}",
                    f"{t['p99_ms']:.1f}",
                    "" if target == "direct" else f"{t['cpu_ms_per_req_total']:.2f}",
                    trees + (f"  ERRORS {t['errors']}" if t["errors"] else ""),
                )
            )
        p(
            f"cluster / single throughput x{m['cluster_vs_single']:.2f};"
            f" cluster / single+nginx x{m['cluster_vs_single_nginx']:.2f};"
            f" CPU per request cluster / single x{m['cpu_cluster_vs_single']:.2f};"
            f" single-pg / single: throughput x{m['single_pg_vs_single']:.2f},"
            f" CPU per request x{m['cpu_single_pg_vs_single']:.2f}"
        )
        mem = sc["memory_mib"]
        p(
            "RSS MiB after the runs: single {single:.0f}, single's nginx {single_nginx:.0f},"
            " single-pg {single_pg:.0f};"
            " cluster gunicorn {cluster_gunicorn:.0f} ({cluster_0:.0f} + {cluster_1:.0f} +"
            " {cluster_2:.0f}), cluster nginx {cluster_nginx:.0f}, PostgreSQL backends"
            " {postgres_backends_anon:.0f} private ({postgres_backends:.0f} backends),"
            " redis-server {redis_rss:.0f}".format(**mem)
        )
    p(f"\nJSON: {res['json']}")


# ---------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    ap.add_argument("--scenarios", default="anon,keyed", help="comma list of anon,keyed")
    ap.add_argument(
        "--postgres",
        default=os.environ.get("GATEWAY_TEST_POSTGRES_URL") or PG_DEFAULT,
        help="a server where the bench may CREATE DATABASE (a fresh one, dropped after)",
    )
    ap.add_argument("--redis", default=os.environ.get("GATEWAY_TEST_REDIS_URL") or REDIS_DEFAULT)
    ap.add_argument("--json", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    if set(args.scenarios) - set(SCENARIOS):
        ap.error(f"unknown scenarios: {sorted(set(args.scenarios) - set(SCENARIOS))}")
    if not load.have_wrk():
        ap.error("wrk is required (apt-get install wrk)")
    return args


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def warm(url: str, headers: dict[str, str]) -> None:
    load.latency_run(url, "small", samples=0, warmup=30, headers=headers)
    load.throughput_run(url, "small", CONCURRENCY, 1, headers)


def bench(args, tmp: Path, fake_port: int, pg_url: str, redis_db: str, res: dict) -> None:
    base = f"http://127.0.0.1:{fake_port}"
    single, single_port, settings = run.start_gateway("single", f"{base}/v1", tmp)
    res["single_settings"] = settings
    single_env = run.gateway_env(single_port, tmp / "data-single", f"{base}/v1")
    binary = nginx_binary()
    front = ClusterNginx(binary, tmp / "nginx-single", [single_port], NGINX_CONNECTIONS)
    cluster = Cluster(
        tmp / "cluster",
        base,
        pg_url,
        redis_db,
        # bench/run.py's defaults on every instance: no test sizing.
        env={"GATEWAY_WORKERS": None, "GATEWAY_THREADS": None},
        nginx_worker_connections=NGINX_CONNECTIONS,
    )
    # One more instance on the same database and Redis, without nginx: the engine's cost.
    lone = Cluster(
        tmp / "single-pg",
        base,
        pg_url,
        redis_db,
        cluster.master_key,
        instances=1,
        env={"GATEWAY_WORKERS": None, "GATEWAY_THREADS": None, "GATEWAY_TRUSTED_PROXIES": None},
    )
    trees = None
    try:
        if not front.wait_ready():
            raise RuntimeError(f"nginx did not start: {front.logs()}")
        cluster.start()
        lone.start(front=False)
        log(
            f"single pid {single.pid} :{single_port}; cluster"
            f" {[g.pid for g in cluster.instances]} behind nginx :{cluster.front.port}"
        )
        trees = Trees(single.pid, front.pid, lone.instances[0].pid, cluster, pg_url, redis_db)
        path = "/v1/images/generations"
        urls = {
            "direct": f"{base}{path}",
            "single": f"http://127.0.0.1:{single_port}{path}",
            "single+nginx": front.url(path),
            "single-pg": lone.url(0, path),
            "cluster": cluster.front.url(path),
        }
        # anon before keyed: once a key exists, calls without one are refused (auto).
        for name in [s for s in SCENARIOS if s in args.scenarios]:
            headers: dict[str, dict] = {t: {} for t in TARGETS}
            if name == "keyed":
                single_key = cli(single_env, "api-keys", "create", "--name", "bench")
                cli(single_env, "api-keys", "limits", "bench", *LIMITS)
                cluster_key = cluster.cli(0, "api-keys", "create", "--name", "bench").stdout
                cluster.cli(1, "api-keys", "limits", "bench", *LIMITS)
                for target in ("single", "single+nginx"):
                    headers[target] = {"x-portkey-api-key": single_key}
                for target in ("single-pg", "cluster"):
                    headers[target] = {"x-portkey-api-key": cluster_key.strip()}
            for target in TARGETS:
                sanity(urls[target], headers[target])
                warm(urls[target], headers[target])
            runs = []
            for i in range(args.runs):
                r = measure(urls, headers, trees, args)
                runs.append(r)
                log(
                    f"{name} run {i + 1}/{args.runs}: req/s "
                    + ", ".join(f"{t} {r[t]['rps']:.0f}" for t in TARGETS)
                    + f"; cluster/single x{r['cluster_vs_single']:.2f}"
                )
            res["scenarios"][name] = {
                "runs": runs,
                "median": summarise(runs),
                "memory_mib": trees.memory_mib(),
            }
    finally:
        if trees is not None:
            trees.close()
        lone.stop()
        cluster.stop()
        front.stop()
        single.stop()


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    res: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": run.machine_info(),
        "runs": args.runs,
        "duration_s": args.duration,
        "concurrency": CONCURRENCY,
        "scenarios": {},
        "json": str(args.json),
    }
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="gw-scale-out-") as tmpdir:
            tmp = Path(tmpdir)
            redis_db = claim_redis_db(args.redis)
            try:
                with fresh_database(args.postgres) as pg_url:
                    fake, fake_port = run.start_fake(tmp)
                    try:
                        bench(args, tmp, fake_port, pg_url, redis_db, res)
                    finally:
                        fake.stop()
            finally:
                release_redis_db(redis_db)
    except (Unavailable, RuntimeError, OSError, psycopg.Error, redis.RedisError) as exc:
        log(f"failed: {exc}")
        res["error"] = str(exc)[:2000]
    res["elapsed_s"] = round(time.monotonic() - t0, 1)
    res["loadavg_after"] = os.getloadavg()  # the VM is shared: a high figure means noise
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
    print_report(res)
    return 1 if "error" in res else 0


if __name__ == "__main__":
    sys.exit(main())
