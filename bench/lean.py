"""Lean path (issue point 3): the gateway against the naive Flask + requests proxy, same run.

Used by bench/run.py for the ``small`` and ``b64`` scenarios. The naive proxy
(bench/naive_proxy.py) runs under gunicorn gthread with the gateway's resolved worker
count and threads (``capacity.naive_sizing``), pointed at the same fake path. Each run
measures it right after the gateway with the same load, so the three ratios below
compare measurements taken seconds apart:

* CPU per small request at c=32, gateway / naive (aim: <= 1);
* 1.5 MB ``b64_json`` throughput at c=32, gateway / naive (aim: >= 1);
* added p50 at c=1 (p50 - direct p50), gateway / naive, and the gateway's own against
  Portkey's 1.25 ms (aim: <= 1.25 ms).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import load

# bench/run.py imports this module, and bench/capacity.py imports run: ``run`` and
# ``capacity`` are imported where used, so that neither import goes round in a circle.

CONCURRENCY = 32  # run.CONCURRENCY
PORTKEY_ADDED_P50_MS = 1.25  # Portkey's gateway, same machine (the figure)
# Figures of one run that the scenario's median picks up (``run.summarise``).
KEYS = (
    "lat_naive.p50_ms",
    "lat_naive.p99_ms",
    "added_p50_naive_ms",
    "cpu_ms_per_req_naive_c1",
    "thr_naive.rps",
    "cpu_ms_per_req_naive_c32",
    "vs_naive_added_p50",
    "vs_naive_cpu_c32",
    "vs_naive_thr",
)


def start(direct_url: str, gateway_settings: dict, tmp: Path) -> Any:
    """The naive proxy on ``direct_url``, sized like the gateway (a ``capacity.Target``)."""
    import capacity
    import run

    size = capacity.naive_sizing(gateway_settings, None)
    naive = capacity.start_naive(direct_url, tmp, size)
    run.log(f"naive proxy pid {naive.proc.pid}: {size}")
    return naive


def check(naive: Any, mode: str) -> str:
    import run

    return run.sanity_check(naive.url, mode)


def warm(url: str, mode: str, warmup: int) -> None:
    load.latency_run(url, mode, samples=0, warmup=warmup)
    load.throughput_run(url, mode, CONCURRENCY, 1)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def measure_latency(r: dict, naive: Any, mode: str, samples: int) -> None:
    """After the gateway's latency run: the naive proxy's, and the added-p50 ratio."""
    from run import CLK_TCK, cpu_ticks

    c0 = cpu_ticks(naive.proc.pid)
    r["lat_naive"] = load.latency_run(naive.url, mode, samples, warmup=5)
    ticks = cpu_ticks(naive.proc.pid) - c0
    r["cpu_ms_per_req_naive_c1"] = ticks / CLK_TCK * 1000 / (samples + 5)
    r["added_p50_naive_ms"] = r["lat_naive"]["p50_ms"] - r["lat_direct"]["p50_ms"]
    r["vs_naive_added_p50"] = _ratio(r["added_p50_ms"], r["added_p50_naive_ms"])


def measure_throughput(r: dict, naive: Any, mode: str, duration: int) -> None:
    """After the gateway's throughput run: the naive proxy's, and the CPU and req/s ratios."""
    from run import CLK_TCK, cpu_ticks

    c0 = cpu_ticks(naive.proc.pid)
    r["thr_naive"] = load.throughput_run(naive.url, mode, CONCURRENCY, duration)
    ticks = cpu_ticks(naive.proc.pid) - c0
    r["cpu_ms_per_req_naive_c32"] = ticks / CLK_TCK * 1000 / max(r["thr_naive"]["requests"], 1)
    r["vs_naive_cpu_c32"] = _ratio(r["cpu_ms_per_req_c32"], r["cpu_ms_per_req_naive_c32"])
    r["vs_naive_thr"] = _ratio(r["thr_gateway"]["rps"], r["thr_naive"]["rps"])


def brief(r: dict) -> str:
    if "vs_naive_thr" not in r:
        return ""
    return (
        f"; vs naive: added p50 x{r.get('vs_naive_added_p50', math.nan):.2f},"
        f" cpu c=32 x{r['vs_naive_cpu_c32']:.2f}, req/s x{r['vs_naive_thr']:.2f}"
    )


def aims(small: dict | None, b64: dict | None, add) -> None:
    """The three lean-path aims, on the scenarios' medians (``add(name, value, aim, ok)``)."""
    if small and not math.isnan(small.get("vs_naive_cpu_c32", math.nan)):
        v = small["vs_naive_cpu_c32"]
        add("lean: CPU per small request c=32 / naive", f"x{v:.2f}", "<= x1.00", v <= 1.0)
        v, ratio = small["added_p50_ms"], small["vs_naive_added_p50"]
        add(
            "lean: added p50 c=1 (small) vs Portkey",
            f"{v:.2f} ms (x{ratio:.2f} naive)",
            f"<= {PORTKEY_ADDED_P50_MS} ms",
            v <= PORTKEY_ADDED_P50_MS,
        )
    if b64 and not math.isnan(b64.get("vs_naive_thr", math.nan)):
        v = b64["vs_naive_thr"]
        add("lean: 1.5 MB throughput c=32 / naive", f"x{v:.2f}", ">= x1.00", v >= 1.0)


def rows(m: dict, label: str, row: str, fmt) -> list[str]:
    """Report lines for one scenario's medians (naive column, gateway / naive ratio)."""
    if "thr_naive.rps" not in m or m["thr_naive.rps"] != m["thr_naive.rps"]:
        return []
    return [
        row.format(
            f"{label}: added p50 c=1 (ms)",
            f"{fmt(m['added_p50_naive_ms'])} naive",
            fmt(m["added_p50_ms"]),
            f"x{fmt(m['vs_naive_added_p50'])} of naive",
        ),
        row.format(
            f"{label}: req/s c=32",
            f"{fmt(m['thr_naive.rps'], '.0f')} naive",
            fmt(m["thr_gateway.rps"], ".0f"),
            f"x{fmt(m['vs_naive_thr'])} of naive",
        ),
        row.format(
            f"{label}: CPU/req c=32 (ms)",
            f"{fmt(m['cpu_ms_per_req_naive_c32'])} naive",
            fmt(m["cpu_ms_per_req_c32"]),
            f"x{fmt(m['vs_naive_cpu_c32'])} of naive",
        ),
    ]
