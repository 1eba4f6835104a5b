from __future__ import annotations

import json

from click.testing import CliRunner

from gateway.cli import main
from gateway.credentials import open_credentials
from gateway.settings import Settings
from gateway.store.database import Database

FALLBACK = {"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}]}


def put(runner, path, name="main", code=0):
    out = runner.invoke(main, ["configs", "put", name, "--file", str(path)])
    assert out.exit_code == code, out.output
    return out


def test_versions_get_list_delete(data_dir, tmp_path):
    runner = CliRunner()
    file = tmp_path / "c.json"
    file.write_text(json.dumps(FALLBACK))
    assert put(runner, file).stdout == "main version 1\n"
    # Same content with other key order and spacing: not a new version.
    file.write_text('{"targets":[{"virtual_key":"a"}],\n "strategy":{"mode":"fallback"}}')
    assert put(runner, file).stdout == "main version 1 (unchanged)\n"
    file.write_text(json.dumps({**FALLBACK, "strategy": {"mode": "single"}}))
    assert put(runner, file).stdout == "main version 2\n"

    out = runner.invoke(main, ["configs", "get", "main", "--version", "1"])
    assert json.loads(out.stdout) == FALLBACK
    out = runner.invoke(main, ["configs", "get", "main"])
    assert json.loads(out.stdout)["strategy"] == {"mode": "single"}
    settings = Settings(data_dir=str(data_dir))
    creds = open_credentials(settings, Database.from_settings(settings))
    assert creds.get_config("main") == (2, {**FALLBACK, "strategy": {"mode": "single"}})

    lines = runner.invoke(main, ["configs", "list"]).stdout.splitlines()
    assert lines[0].split() == ["name", "version", "updated"]
    assert lines[1].split()[:2] == ["main", "2"]

    assert runner.invoke(main, ["configs", "delete", "main"]).stdout == "deleted main\n"
    out = runner.invoke(main, ["configs", "get", "main"])
    assert (out.exit_code, out.stderr) == (1, "Error: no config named 'main'\n")
    out = runner.invoke(main, ["configs", "delete", "main"])
    assert out.exit_code == 1
    assert put(runner, file).stdout == "main version 3\n"


def test_invalid_files_are_not_stored(data_dir, tmp_path):
    runner = CliRunner()
    file = tmp_path / "c.json"
    file.write_text('{"strategy": {}, "strategy": {}}')
    out = put(runner, file, code=1)
    assert out.stderr.startswith("Error: config not saved: The config is not valid JSON: duplicate")
    file.write_text('{"targets": [{"provider": "openai", "api_key": "sk-live-123456"}]}')
    out = put(runner, file, code=1)
    assert "config.targets[0].api_key: a saved config may not hold a provider key" in out.stderr
    assert "sk-live-123456" not in out.output
    assert runner.invoke(main, ["configs", "list"]).stdout == "name  version  updated\n"


def test_a_config_from_stdin(data_dir):
    out = CliRunner().invoke(
        main, ["configs", "put", "piped", "--file", "-"], input=json.dumps(FALLBACK)
    )
    assert (out.exit_code, out.stdout) == (0, "piped version 1\n")


def test_a_bad_config_name_is_a_usage_error(data_dir, tmp_path):
    file = tmp_path / "c.json"
    file.write_text("{}")
    out = put(CliRunner(), file, name="../etc", code=2)
    assert "NAME must be 1-64 letters" in out.stderr


def test_a_name_that_reads_as_json_is_refused(data_dir, tmp_path):
    """x-portkey-config: 42 is refused as JSON that is not an object, so no config may be
    saved under a name a caller could never send."""
    file = tmp_path / "c.json"
    file.write_text(json.dumps(FALLBACK))
    for name in ("42", "true", "null"):
        out = put(CliRunner(), file, name=name, code=2)
        assert "must not read as JSON" in out.stderr
    assert put(CliRunner(), file, name="2024-main").stdout == "2024-main version 1\n"
