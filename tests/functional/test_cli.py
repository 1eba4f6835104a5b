from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.cli import main, parse_since
from gateway.db import prepare
from gateway.request_log import RequestLog


def seeded(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(data))
    prepare(str(data), str(data / "gateway.db"))
    log = RequestLog(str(data / "gateway.db"))
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


def test_logs_json_filters_by_trace_and_status(tmp_path, monkeypatch):
    seeded(tmp_path, monkeypatch)
    runner = CliRunner()
    out = runner.invoke(main, ["logs", "--json", "--trace-id", "t1"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["trace_id"], r["status"]) for r in rows] == [("t1", 429)]
    out = runner.invoke(main, ["logs", "--json", "--status", "5xx"])
    assert [r["trace_id"] for r in json.loads(out.output)] == ["t2"]


def test_logs_table(tmp_path, monkeypatch):
    seeded(tmp_path, monkeypatch)
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
    seeded(tmp_path, monkeypatch)
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
    assert "cannot open" in out.output or "cannot read" in out.output
    assert not (tmp_path / "none").exists()


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
