from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.cli import main, parse_since
from gateway.request_log import RequestLog
from tests import store_fixtures
from tests.factories import MASTER_KEY_1
from tests.store_fixtures import with_password

store_case = store_fixtures.store_case
postgres_server = store_fixtures.postgres_server


def use_store(case, monkeypatch):
    """Point the CLI's settings at ``case``'s store, as an operator's environment would."""
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(case.data_dir))
    if case.env_url is not None:
        monkeypatch.setenv("GATEWAY_DATABASE_URL", case.env_url)
        monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)


def seeded(case, monkeypatch):
    use_store(case, monkeypatch)
    log = RequestLog(case.database)
    for i, status in enumerate((200, 429, 502)):
        log.record(
            {
                "created_at": 1_700_000_000.0 + i,
                "request_id": f"r{i}",
                "trace_id": f"t{i}",
                "provider": "openai",
                "model": "dall-e-3",
                "n": 1,
                "size": "1024x1024",
                "status": status,
                "latency_ms": 12.5,
                "bytes_out": 48,
            }
        )
    assert log.flush()


def test_logs_json_filters_by_trace_and_status(store_case, monkeypatch):
    seeded(store_case, monkeypatch)
    runner = CliRunner()
    out = runner.invoke(main, ["logs", "--json", "--trace-id", "t1"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows == [
        {
            "id": 2,
            "created_at": 1_700_000_001.0,
            "request_id": "r1",
            "trace_id": "t1",
            "provider": "openai",
            "model": "dall-e-3",
            "n": 1,
            "size": "1024x1024",
            "quality": None,
            "status": 429,
            "latency_ms": 12.5,
            "upstream_latency_ms": None,
            "error_code": None,
            "bytes_out": 48,
            "metadata": None,
            "prompt": None,
            "target": None,
            "client_ip": None,
            "team": None,
            "virtual_key": None,
            "config_name": None,
            "config_version": None,
            "api_key_id": None,
            "cache_status": None,
            "images": None,
            "cost_micro_usd": None,
            "operation": None,
            "uploads": None,
        }
    ]
    out = runner.invoke(main, ["logs", "--json", "--status", "5xx"])
    assert [r["trace_id"] for r in json.loads(out.output)] == ["t2"]
    out = runner.invoke(main, ["logs", "--json", "--since", "2023-11-14T22:13:21"])
    assert [r["trace_id"] for r in json.loads(out.output)] == ["t2", "t1"]


def test_logs_table(store_case, monkeypatch):
    seeded(store_case, monkeypatch)
    out = CliRunner().invoke(main, ["logs", "--limit", "2"])
    lines = out.output.splitlines()
    assert lines[0].split() == [
        "time",
        "status",
        "provider",
        "model",
        "n",
        "size",
        "latency_ms",
        "error_code",
        "trace_id",
    ]
    assert lines[1].split() == [
        "2023-11-14T22:13:22Z",
        "502",
        "openai",
        "dall-e-3",
        "1",
        "1024x1024",
        "12.5",
        "-",
        "t2",
    ]
    assert len(lines) == 3


def test_bad_arguments_and_settings_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert "use a status" in runner.invoke(main, ["logs", "--status", "abc"]).output
    assert "use 15m" in runner.invoke(main, ["logs", "--since", "yesterday"]).output
    monkeypatch.setenv("GATEWAY_WORKERS", "lots")
    out = runner.invoke(main, ["check-config"])
    assert out.exit_code == 1
    assert "GATEWAY_WORKERS: invalid value" in out.output


def test_missing_store_is_an_error_not_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "none"))
    out = CliRunner().invoke(main, ["logs"])
    assert out.exit_code == 1
    assert out.output == (
        f"Error: cannot read the store: no SQLite store at {tmp_path}/none/gateway.db\n"
    )
    assert not (tmp_path / "none").exists()


def test_postgresql_down_is_one_line_without_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path))
    url = with_password("postgresql://gw@127.0.0.1:1/gw", "s3cret-pw")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)
    out = CliRunner().invoke(main, ["logs"])
    assert out.exit_code == 1
    assert out.output.startswith(
        "Error: cannot read PostgreSQL at 127.0.0.1:1/gw: OperationalError: connection failed"
    )
    assert len(out.output.splitlines()) == 1
    assert "s3cret" not in out.output


def test_since_parsing():
    assert parse_since("15m", 10_000.0) == 9_100.0
    assert parse_since("2026-01-01T00:00:00", 0) == 1767225600.0
    assert parse_since(None, 0) is None


def test_migrate_and_check_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "fresh"))
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert (tmp_path / "fresh" / "gateway.db").exists()
    assert runner.invoke(main, ["check-config"]).output == "configuration OK\n"


def test_check_config_refuses_an_unknown_default_provider(monkeypatch):
    monkeypatch.setenv("GATEWAY_DEFAULT_PROVIDER", "no-such-provider")
    result = CliRunner().invoke(main, ["check-config"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: GATEWAY_DEFAULT_PROVIDER: not a known provider (name one, or set it to none)\n"
    )
