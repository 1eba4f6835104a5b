"""The soak's accounting (bench/soak.py): every request sent, answered and logged, matched
by trace id, and every answer put in a class. No processes, no IO but print.

Classes of a final answer, by HTTP status and the ``error.code`` of its body:

* ``ok``: 200.
* ``injected``: what the fault mix asked for, as the gateway maps it: the provider's 500
  (``server_error``) and 429 (``rate_limit_exceeded``) passed through with their status
  and body, and 502 ``upstream_connection_lost`` for an answer cut halfway or a
  connection reset (nothing else makes the fake break off).
* ``admission``: 503 ``gateway_overloaded``, the gateway refusing beyond its capacity.
* ``unexpected``: anything else. Any unexpected answer, any request without an answer,
  and any answer without its row (or a row without its answer) fails the soak.
"""

from __future__ import annotations

from collections import Counter

# The fake's own 500 and 429 bodies (tests/e2e/fake_openai_bodies.py), passed through.
INJECTED = {
    (500, "server_error"),
    (429, "rate_limit_exceeded"),
    (502, "upstream_connection_lost"),
}
ADMISSION = {(503, "gateway_overloaded")}
# An upstream attempt's outcome in the request log (status, failure) -> the fake's outcomes.
ATTEMPT_SOURCES = {
    "200": ("ok", "slow"),
    "500": ("500",),
    "429": ("429",),
    "502 lost": ("cut", "reset"),
}


def classify(status: int, code: str | None) -> str:
    if status == 200:
        return "ok"
    if (status, code) in INJECTED:
        return "injected"
    if (status, code) in ADMISSION:
        return "admission"
    return "unexpected"


def reconcile(records: list, pending: set[str], rows: list[dict]) -> dict:
    """``records``: the client's (trace, route, answer); ``pending``: sent, never answered;
    ``rows``: request-log rows (trace_id, status, error_code) of the soak's window."""
    answered = {r.trace_id: r for r in records if r.answer.status}
    no_answer = [r for r in records if not r.answer.status]
    logged = {row["trace_id"]: row for row in rows}
    sent = set(answered) | {r.trace_id for r in no_answer} | pending
    classes = Counter(classify(r.answer.status, r.answer.code) for r in answered.values())
    by_answer = Counter(
        f"{r.answer.status} {r.answer.code or ''}".strip() for r in answered.values()
    )
    by_route = Counter(
        f"{r.route}: {classify(r.answer.status, r.answer.code)}" for r in answered.values()
    )
    mismatched = [
        t for t, r in answered.items() if t in logged and logged[t]["status"] != r.answer.status
    ]
    out = {
        "sent": len(sent),
        "answered": len(answered),
        "logged": len(set(logged) & sent),
        "rows_not_ours": len(set(logged) - sent),
        "no_answer": len(no_answer) + len(pending),
        "no_answer_errors": dict(Counter(r.answer.error for r in no_answer)),
        "no_answer_but_logged": sum(t in logged for t in {r.trace_id for r in no_answer} | pending),
        "answered_not_logged": len(set(answered) - set(logged)),
        "status_mismatch": len(mismatched),
        "classes": dict(classes),
        "answers": dict(by_answer.most_common()),
        "by_route": dict(sorted(by_route.items())),
        "unexpected_examples": [
            {"trace_id": t, "status": r.answer.status, "code": r.answer.code}
            for t, r in answered.items()
            if classify(r.answer.status, r.answer.code) == "unexpected"
        ][:10],
    }
    out["nothing_lost"] = (
        out["sent"] == out["answered"] == out["logged"] and not out["status_mismatch"]
    )
    out["no_unexpected_5xx"] = not any(
        classify(r.answer.status, r.answer.code) == "unexpected" and r.answer.status >= 500
        for r in answered.values()
    )
    out["pass"] = out["nothing_lost"] and out["no_unexpected_5xx"] and not classes["unexpected"]
    return out


def upstream_check(attempts: list[dict], served: dict[str, int]) -> dict:
    """The gateway's upstream attempts by outcome, next to what the fake says it served."""
    made = [a for a in attempts if a["skip_reason"] is None]
    by_outcome = Counter(f"{a['status']} {a['failure'] or ''}".strip() for a in made)
    expected = {k: sum(served.get(n, 0) for n in names) for k, names in ATTEMPT_SOURCES.items()}
    return {
        "attempts": len(made),
        "served_by_fake": sum(served.values()),
        "attempts_by_outcome": dict(by_outcome.most_common()),
        "fake_served": served,
        # Every call the fake answered is one logged attempt with the matching outcome.
        "agrees": dict(by_outcome) == {k: v for k, v in expected.items() if v},
    }


def print_report(res: dict, path) -> None:
    a, w, u = res["accounting"], res["tree"], res["upstream"]
    print(
        f"\nSoak: {res['seconds']:.0f} s, {res['clients']} clients, GATEWAY_MAX_IN_FLIGHT="
        f"{res['max_in_flight']}, max_requests {res['max_requests']} (jitter "
        f"{res['max_requests_jitter']}), HUP at {res['hup_at_s']:.0f} s, seed {res['seed']}"
    )
    print(
        f"sent {a['sent']}  answered {a['answered']}  logged {a['logged']}  "
        f"no answer {a['no_answer']} {a['no_answer_errors'] or ''} "
        f"(of which logged {a['no_answer_but_logged']})  answered but not logged "
        f"{a['answered_not_logged']}  status differs from its row {a['status_mismatch']}"
    )
    print(f"classes: {a['classes']}")
    print(f"answers: {a['answers']}")
    print(f"by route: {a['by_route']}")
    if a["unexpected_examples"]:
        print(f"unexpected, first ones: {a['unexpected_examples']}")
    print(
        f"upstream: {u['attempts']} attempts logged, the fake served {u['served_by_fake']} "
        f"{u['fake_served']}; attempts by outcome {u['attempts_by_outcome']}: "
        f"{'they agree' if u['agrees'] else 'THEY DIFFER'}"
    )
    print(
        f"gunicorn tree: RSS start {w['rss_start_mib']:.0f} MiB, end {w['rss_end_mib']:.0f}, "
        f"peak {w['rss_peak_mib']:.0f}; descriptors start {w['fds_start']}, end "
        f"{w['fds_end']}, peak {w['fds_peak']}, {res['idle_after']['wait_s']:.0f} s after the "
        f"load {res['idle_after']['fds']} {res['idle_after']['fd_kinds']} (master "
        f"{w['master_fds_start']} -> {w['master_fds_end']}); {w['workers_seen']} worker PIDs "
        f"seen ({w['processes_end']} processes at the end)"
    )
    g = res["gateway_log"]
    print(
        f"gateway log: {g['autorestart']} workers recycled by max_requests, {g['booting']} "
        f"booted, HUP handled {g['hup']}, error lines {g['errors']} {g['error_examples'] or ''}"
    )
    print(
        f"nothing lost: {'PASS' if a['nothing_lost'] else 'FAIL'}; no 5xx but injected and "
        f"admission: {'PASS' if a['no_unexpected_5xx'] else 'FAIL'} -> {path}"
    )
