"""Medians and the printed table for bench/capacity.py (no processes, no IO but print).

Figures are medians over runs; a ratio is taken within each run (the target against the
fake upstream measured seconds earlier) and then its median, so slow drift of the shared
machine between runs cancels. Errors are summed over runs: any error is a miss.
"""

from __future__ import annotations

import statistics

TARGETS = ("direct", "gateway", "naive")
FIGURES = (
    "rps",
    "rps_little",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "cpu_pct",
    "rss_peak_mib",
    "rss_end_mib",
)
AIM_RATIO = 0.95
AIM_P99_MS = 5500.0
AIM_RSS_MIB = 600.0


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(runs: list[dict]) -> dict:
    out: dict = {}
    for name in TARGETS:
        per_run = [r[name] for r in runs if name in r]
        if not per_run:
            continue
        fig = {k: _median([r[k] for r in per_run]) for k in FIGURES}
        fig["rss_peak_max_mib"] = max(r["rss_peak_mib"] for r in per_run)
        fig["errors_total"] = sum(r["errors_total"] for r in per_run)
        fig["errors"] = {
            kind: sum(r["errors"][kind] for r in per_run) for kind in per_run[0]["errors"]
        }
        out[name] = fig
    for name in ("gateway", "naive"):
        ratios = [r[f"{name}_ratio"] for r in runs if f"{name}_ratio" in r]
        if ratios:
            out[f"{name}_ratio"] = _median(ratios)
            out[f"{name}_ratio_range"] = (min(ratios), max(ratios))
    return out


def brief(r: dict) -> str:
    parts = []
    for name in TARGETS:
        if name in r:
            m = r[name]
            parts.append(
                f"{name} {m['rps']:.1f} req/s p50 {m['p50_ms'] / 1000:.2f} s "
                f"p99 {m['p99_ms'] / 1000:.2f} s err {m['errors_total']} "
                f"cpu {m['cpu_pct']:.0f}% rss {m['rss_peak_mib']:.0f} MiB"
            )
    return "; ".join(parts)


def _errors(fig: dict) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in fig["errors"].items() if v)
    return f"{fig['errors_total']}" + (f" ({kinds})" if kinds else "")


def _aims(med: dict) -> list[tuple[str, str, bool]]:
    gw = med.get("gateway")
    if not gw or "gateway_ratio" not in med:
        return []
    return [
        (
            "throughput >= 0.95 x direct",
            f"{med['gateway_ratio']:.3f} x",
            med["gateway_ratio"] >= AIM_RATIO,
        ),
        ("p99 <= 5.5 s", f"{gw['p99_ms'] / 1000:.2f} s", gw["p99_ms"] <= AIM_P99_MS),
        ("0 errors", str(gw["errors_total"]), gw["errors_total"] == 0),
        (
            "RSS peak <= 600 MiB",
            f"{gw['rss_peak_max_mib']:.0f} MiB",
            gw["rss_peak_max_mib"] <= AIM_RSS_MIB,
        ),
    ]


def print_report(res: dict, path) -> None:
    med = res["median"]
    gs = res.get("gateway_settings", {})
    print(
        f"\nCapacity: {res['clients']} clients, upstream {res['upstream_ms']} ms, "
        f"{res['duration_s']} s x {len(res['runs'])} runs ({res['label']}; "
        f"overrides {res['gateway_env_overrides'] or 'none'})"
    )
    print(
        f"gateway: {gs.get('worker_class')} workers={gs.get('workers')} "
        f"threads={gs.get('threads')} "
        f"worker_connections={gs.get('worker_connections')} backlog={gs.get('backlog')}; "
        f"naive: {res.get('naive_settings')}"
    )
    print(
        f"{'target':<8} {'req/s':>7} {'x direct':>8} {'Little':>7} {'p50 s':>6} {'p99 s':>6} "
        f"{'max s':>6} {'CPU %':>6} {'RSS peak':>8} {'RSS end':>7}  errors"
    )
    for name in TARGETS:
        if name not in med:
            continue
        f = med[name]
        ratio = med.get(f"{name}_ratio")
        print(
            f"{name:<8} {f['rps']:>7.1f} {(f'{ratio:.3f}' if ratio else '1'):>8} "
            f"{f['rps_little']:>7.1f} {f['p50_ms'] / 1000:>6.2f} {f['p99_ms'] / 1000:>6.2f} "
            f"{f['max_ms'] / 1000:>6.2f} {f['cpu_pct']:>6.0f} {f['rss_peak_mib']:>8.0f} "
            f"{f['rss_end_mib']:>7.0f}  {_errors(f)}"
        )
    for name in ("gateway", "naive"):
        if f"{name}_ratio_range" in med:
            lo, hi = med[f"{name}_ratio_range"]
            print(f"{name} / direct per run: {lo:.3f} .. {hi:.3f}")
    for aim, value, ok in _aims(med):
        print(f"aim {aim}: {value} {'PASS' if ok else 'MISS'}")
    print(f"(RSS: gunicorn master + workers, MiB; direct: the fake upstream itself) -> {path}")
