"""What reads the request log, on SQLite and on PostgreSQL: ``gateway usage``'s report
and ``/readyz``'s store check (a PostgreSQL outage played by a TCP proxy)."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy.engine import make_url

from gateway import create_app
from gateway.cli import main
from gateway.cli.usage import report
from gateway.request_log import RequestLog
from tests import store_fixtures
from tests.factories import MASTER_KEY_1, settings
from tests.store_fixtures import via, with_password

store_case = store_fixtures.store_case
pg_case = store_fixtures.pg_case
postgres_server = store_fixtures.postgres_server
pg_proxy = store_fixtures.pg_proxy


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def log(created_at: float, team: str | None, status: int = 200, **row: object) -> dict:
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


def write(database, rows) -> None:
    request_log = RequestLog(database)
    for row in rows:
        request_log.record(row)
    assert request_log.flush()


def test_the_usage_report_is_the_same_on_both_engines(store_case):
    write(
        store_case.database,
        [
            log(ts("2026-11-25T23:59:59.999"), "design", images=1, cost_micro_usd=2**40),
            log(ts("2026-11-26T00:00:00"), "design", images=2, cost_micro_usd=2**40),
            log(ts("2026-11-26T12:00:00"), "design", cache_status="HIT", cost_micro_usd=0),
            log(ts("2026-11-26T12:00:00"), "design", status=429, error_code="rate_limit_rpm"),
            log(ts("2026-11-26T13:00:00"), "Zeta", status=200, images=1),  # unpriced
            log(ts("2026-11-26T13:00:00"), "émoji", status=502),
            log(ts("2026-11-26T13:00:00"), None, images=4, cost_micro_usd=5),
            log(ts("2026-11-24T23:59:59"), "design", images=9, cost_micro_usd=9),  # too old
        ],
    )
    rows = report(store_case.database, ts("2026-11-25T00:00:00"))
    assert [(r["day"], r["team"]) for r in rows] == [
        ("2026-11-25", "design"),
        # Code-point order on both engines: "Z" < "d" < "é", and no team last.
        ("2026-11-26", "Zeta"),
        ("2026-11-26", "design"),
        ("2026-11-26", "émoji"),
        ("2026-11-26", None),
    ]
    design = rows[2]
    assert design == {
        "day": "2026-11-26",
        "team": "design",
        "requests": 3,
        "errors": 1,
        "images": 2,
        "cache_hits": 1,
        "spend_micro_usd": 2**40,
        "unpriced": 0,
        "spend_usd": "1099511.627776",
    }
    assert all(type(r[c]) is int for r in rows for c in ("requests", "spend_micro_usd"))
    assert (rows[1]["unpriced"], rows[1]["spend_micro_usd"]) == (1, 0)
    assert (rows[3]["errors"], rows[3]["images"], rows[3]["unpriced"]) == (1, 0, 0)
    only = report(store_case.database, ts("2026-11-25T00:00:00"), team="design")
    assert [(r["day"], r["requests"]) for r in only] == [("2026-11-25", 1), ("2026-11-26", 3)]


def test_gateway_usage_reads_postgresql(pg_case, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(pg_case.data_dir))
    monkeypatch.setenv("GATEWAY_DATABASE_URL", pg_case.env_url)
    monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)
    now = time.time()
    write(pg_case.database, [log(now, "design", images=1, cost_micro_usd=80_000)])
    out = CliRunner().invoke(main, ["usage", "--days", "1", "--json"])
    assert out.exit_code == 0, out.output
    day = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
    assert json.loads(out.stdout) == [
        {
            "day": day,
            "team": "design",
            "requests": 1,
            "errors": 0,
            "images": 1,
            "cache_hits": 0,
            "spend_micro_usd": 80_000,
            "unpriced": 0,
            "spend_usd": "0.080000",
        }
    ]


class Lines(logging.Handler):
    """The messages of one logger (the app's logging does not propagate to caplog)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_readyz_on_postgresql_and_through_an_outage(pg_case, pg_proxy, tmp_path):
    lines = Lines()
    logging.getLogger("gateway.store").addHandler(lines)
    url = with_password(via(pg_case.env_url, pg_proxy.port), "s3cret-pw")
    app = create_app(settings(tmp_path, database_url=url, master_keys=(MASTER_KEY_1,)))
    client = app.test_client()
    state = app.extensions["gateway"]
    try:
        ready = client.get("/readyz")
        assert (ready.status_code, ready.get_json()["status"]) == (200, "ready")

        pg_proxy.stop()
        res = client.get("/readyz")
        assert res.status_code == 503
        assert res.headers["Retry-After"] == "5"
        error = res.get_json()["error"]
        assert error["code"] == "store_unavailable"
        assert error["message"] == ("The store does not answer (PostgreSQL: connection refused).")
        body = res.get_data(as_text=True)
        assert "Traceback" not in body
        assert str(pg_proxy.port) not in body  # no host or port for an anonymous client
        # The operator's log has where and why, once per change, never the password.
        client.get("/readyz")
        details = [m for m in lines.messages if "answer" in m]
        assert len(details) == 1
        name = make_url(pg_case.env_url).database
        assert details[0].startswith(
            f"store: PostgreSQL at 127.0.0.1:{pg_proxy.port}/{name} does not answer: "
            "OperationalError: connection failed"
        )
        assert not [m for m in lines.messages if "s3cret" in m]

        pg_proxy.start()
        again = client.get("/readyz")
        assert (again.status_code, again.get_json()["status"]) == (200, "ready")
        assert lines.messages[-1] == (
            f"store: PostgreSQL at 127.0.0.1:{pg_proxy.port}/{name} answers again"
        )
    finally:
        logging.getLogger("gateway.store").removeHandler(lines)
        state.request_log.flush()
        state.database.dispose()
