"""``gateway api-keys limits`` and ``gateway usage``."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.cli.usage import day_start
from gateway.request_log import RequestLog
from gateway.settings import Settings
from gateway.store.database import Database


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def create(team: str) -> str:
    out = run("api-keys", "create", "--name", team)
    assert out.exit_code == 0, out.output
    return out.stderr.split()[1]  # "created ak_... for team ..."


def table(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def test_limits_are_set_shown_kept_and_cleared(data_dir):
    key_id = create("design")
    out = run("api-keys", "limits", "design")
    assert out.exit_code == 0, out.output
    assert table(out.stdout) == [
        ["id", "name", "rpm", "ipm", "daily_usd", "monthly_usd"],
        [key_id, "design", "-", "-", "-", "-"],
    ]
    out = run("api-keys", "limits", key_id, "--rpm", "60", "--daily-usd", "25")
    assert table(out.stdout)[1] == [key_id, "design", "60", "-", "25.000000", "-"]
    out = run("api-keys", "limits", "design", "--ipm", "120", "--monthly-usd", "0.5")
    assert table(out.stdout)[1] == [key_id, "design", "60", "120", "25.000000", "0.500000"]
    out = run("api-keys", "limits", "design", "--rpm", "none")
    assert table(out.stdout)[1] == [key_id, "design", "-", "120", "25.000000", "0.500000"]
    out = run("api-keys", "limits", "design", "--clear", "--ipm", "5")
    assert table(out.stdout)[1] == [key_id, "design", "-", "5", "-", "-"]


def test_a_team_sets_every_active_key_and_an_id_only_its_own(data_dir):
    first, second = create("design"), create("design")
    out = run("api-keys", "limits", "design", "--rpm", "10", "--daily-usd", "5")
    assert [row[2] for row in table(out.stdout)[1:]] == ["10", "10"]
    assert out.stderr == (
        "set on each current key of team 'design' (2 keys, each with its own limits and "
        "budget); a key created later has no limits until they are set on it\n"
    )
    out = run("api-keys", "limits", second, "--rpm", "3")
    assert table(out.stdout)[1:] == [[second, "design", "3", "-", "5.000000", "-"]]
    assert out.stderr == ""
    shown = table(run("api-keys", "limits", "design").stdout)[1:]
    assert sorted((row[0], row[2]) for row in shown) == sorted([(first, "10"), (second, "3")])
    # A key created later has none of them.
    third = create("design")
    shown = table(run("api-keys", "limits", "design").stdout)[1:]
    assert [row for row in shown if row[0] == third] == [[third, "design", "-", "-", "-", "-"]]


def test_the_help_says_limits_are_per_key(data_dir):
    out = run("api-keys", "limits", "--help")
    text = " ".join(out.stdout.split())
    assert "a team name sets the same limits on each of the team's current keys" in text
    assert "a team with 3 keys and --daily-usd 10 may spend $30 a day" in text
    assert "A key created later has no limits until they are set on it" in text


def test_the_limits_reach_the_stored_key(data_dir):
    key_id = create("design")
    run("api-keys", "limits", key_id, "--rpm", "7", "--ipm", "9", "--daily-usd", "1.25")
    conn = sqlite3.connect(data_dir / "gateway.db")
    row = conn.execute(
        "SELECT limit_rpm, limit_ipm, limit_daily_micro_usd, limit_monthly_micro_usd "
        "FROM api_keys WHERE id = ?",
        (key_id,),
    ).fetchone()
    conn.close()
    assert tuple(row) == (7, 9, 1_250_000, None)


WHOLE = "use a whole number from 1 to 2147483647, or none"
DOLLARS = "must be dollars such as 25 or 0.04, with at most 6 decimals, or none"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rpm", "0"], f"Invalid value for --rpm: {WHOLE}"),
        (["--ipm", "x"], f"Invalid value for --ipm: {WHOLE}"),
        # Unicode digits pass str.isdigit() but are not numbers here.
        (["--rpm", "\u00b2"], f"Invalid value for --rpm: {WHOLE}"),
        (["--ipm", "\u0663"], f"Invalid value for --ipm: {WHOLE}"),
        # More than PostgreSQL's 32-bit INTEGER columns hold.
        (["--rpm", "2147483648"], f"Invalid value for --rpm: {WHOLE}"),
        (["--rpm", "9" * 19], f"Invalid value for --rpm: {WHOLE}"),
        (["--ipm", "1" + "0" * 400], f"Invalid value for --ipm: {WHOLE}"),
        (["--daily-usd", "-1"], f"Invalid value for --daily-usd: {DOLLARS}"),
        (["--monthly-usd", "0.0000001"], f"Invalid value for --monthly-usd: {DOLLARS}"),
        (["--daily-usd", "1e400"], f"Invalid value for --daily-usd: {DOLLARS}"),
        (["--daily-usd", "\u00b2"], f"Invalid value for --daily-usd: {DOLLARS}"),
        (["--daily-usd", "nan"], f"Invalid value for --daily-usd: {DOLLARS}"),
        (
            ["--monthly-usd", "9223372036855"],
            "Invalid value for --monthly-usd: must be at most 9223372036854.775807 dollars, "
            "or none",
        ),
        (
            ["--monthly-usd", "9" * 30],
            f"Invalid value for --monthly-usd: {DOLLARS}",
        ),
    ],
)
def test_bad_limits_are_usage_errors_never_tracebacks(data_dir, args, message):
    create("design")
    out = run("api-keys", "limits", "design", *args)
    assert (out.exit_code, out.exception.__class__) == (2, SystemExit)
    assert message in out.stderr
    assert "Traceback" not in out.output


def test_the_largest_limits_are_stored(data_dir):
    key_id = create("design")
    out = run(
        "api-keys", "limits", key_id, "--rpm", "2147483647", "--daily-usd", "9223372036854.775807"
    )
    assert out.exit_code == 0, out.output
    assert table(out.stdout)[1][2:5] == ["2147483647", "-", "9223372036854.775807"]


def test_an_unknown_or_revoked_key_is_an_error(data_dir):
    key_id = create("design")
    run("api-keys", "revoke", key_id)
    for args in (["design", "--rpm", "5"], ["design"], ["nobody"]):
        out = run("api-keys", "limits", *args)
        assert out.exit_code == 1
        assert out.stderr == f"Error: no active key has the id or team {args[0]!r}\n"


def log(created_at: float, team: str | None, status: int = 200, **row) -> dict:
    return {
        "created_at": created_at,
        "request_id": "r",
        "trace_id": "t",
        "status": status,
        "latency_ms": 1.0,
        "bytes_out": 0,
        "team": team,
        **row,
    }


def test_usage_reports_spend_and_requests_per_team_and_day(data_dir):
    run("migrate")
    now = time.time()
    yesterday = now - 86_400
    rows = [
        log(now, "design", images=1, cost_micro_usd=80_000, cache_status="MISS"),
        log(now, "design", images=1, cost_micro_usd=0, cache_status="HIT"),
        log(now, "design", status=429, error_code="rate_limit_rpm"),
        log(now, "design", images=2, cost_micro_usd=None),
        log(now, None, images=1, cost_micro_usd=40_000),
        log(yesterday, "design", images=3, cost_micro_usd=48_000),
        log(now - 30 * 86_400, "design", images=1, cost_micro_usd=1),
    ]
    request_log = RequestLog(Database.from_settings(Settings.from_env()))
    for row in rows:
        request_log.record(row)
    assert request_log.flush()
    day = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
    before = datetime.fromtimestamp(yesterday, timezone.utc).strftime("%Y-%m-%d")

    out = run("usage", "--days", "2", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == [
        {
            "day": before,
            "team": "design",
            "requests": 1,
            "errors": 0,
            "images": 3,
            "cache_hits": 0,
            "spend_micro_usd": 48_000,
            "unpriced": 0,
            "spend_usd": "0.048000",
        },
        {
            "day": day,
            "team": "design",
            "requests": 4,
            "errors": 1,
            "images": 4,
            "cache_hits": 1,
            "spend_micro_usd": 80_000,
            "unpriced": 1,
            "spend_usd": "0.080000",
        },
        {
            "day": day,
            "team": None,
            "requests": 1,
            "errors": 0,
            "images": 1,
            "cache_hits": 0,
            "spend_micro_usd": 40_000,
            "unpriced": 0,
            "spend_usd": "0.040000",
        },
    ]

    out = run("usage", "--days", "1", "--team", "design")
    assert table(out.stdout) == [
        ["day", "team", "requests", "errors", "images", "cache_hits", "spend_usd", "unpriced"],
        [day, "design", "4", "1", "4", "1", "0.080000", "1"],
        ["total", "4", "1", "4", "1", "0.080000", "1"],
    ]


def test_usage_without_requests_prints_the_header_only(data_dir):
    run("migrate")
    out = run("usage")
    assert (out.exit_code, out.stdout.split()) == (
        0,
        ["day", "team", "requests", "errors", "images", "cache_hits", "spend_usd", "unpriced"],
    )


def test_usage_without_a_store_is_a_clean_error(data_dir):
    out = run("usage")
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: cannot read ")


def test_day_start_is_midnight_utc():
    now = datetime(2026, 11, 26, 3, 30, tzinfo=timezone.utc).timestamp()
    assert day_start(now, 1) == datetime(2026, 11, 26, tzinfo=timezone.utc).timestamp()
    assert day_start(now, 7) == datetime(2026, 11, 20, tzinfo=timezone.utc).timestamp()
