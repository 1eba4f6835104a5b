from __future__ import annotations

import os

from click.testing import CliRunner

from gateway.cli import main
from gateway.credentials import open_credentials
from gateway.credentials.keyfile import read_keys
from gateway.settings import Settings
from gateway.store.database import Database
from tests.factories import MASTER_KEY_1, MASTER_KEY_2, PROVIDER_KEY


def add_key(runner, name="prod"):
    out = runner.invoke(
        main, ["virtual-keys", "create", name, "--provider", "openai"], input=PROVIDER_KEY
    )
    assert out.exit_code == 0, out.output


def test_key_file_rotation(data_dir):
    runner = CliRunner()
    add_key(runner, "a")
    add_key(runner, "b")
    path = str(data_dir / "master.key")
    (old,) = read_keys(path)
    out = runner.invoke(main, ["master-key", "rotate"])
    assert (out.exit_code, out.stdout) == (0, f"rotated {path}; re-encrypted 2 secrets\n")
    (new,) = read_keys(path)
    assert new != old
    assert new not in out.output
    settings = Settings(data_dir=str(data_dir))
    creds = open_credentials(settings, Database.from_settings(settings))
    assert creds.resolve_virtual_key("b", None).secret == PROVIDER_KEY


def test_key_file_rotation_to_a_given_key(data_dir):
    runner = CliRunner()
    add_key(runner)
    out = runner.invoke(main, ["master-key", "rotate", "--new-key-from-stdin"], input=MASTER_KEY_2)
    assert out.exit_code == 0, out.output
    assert read_keys(str(data_dir / "master.key")) == [MASTER_KEY_2]
    out = runner.invoke(main, ["master-key", "rotate", "--new-key-from-stdin"], input="nope")
    assert (out.exit_code, out.stderr) == (1, "Error: standard input does not hold a Fernet key\n")


def test_environment_rotation_in_two_steps(data_dir, monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)
    add_key(runner)
    out = runner.invoke(main, ["master-key", "rotate"])
    assert out.exit_code == 0, out.output
    new, old = out.stdout.strip().split(",")
    assert old == MASTER_KEY_1
    assert out.stderr.startswith("set GATEWAY_MASTER_KEY to the line above everywhere")
    # Re-encrypting before the new key is deployed is refused.
    out = runner.invoke(main, ["master-key", "rotate", "--new-key-from-stdin"], input=new)
    assert out.exit_code == 1
    assert "must list the new key first" in out.stderr
    monkeypatch.setenv("GATEWAY_MASTER_KEY", f"{new},{old}")
    out = runner.invoke(main, ["master-key", "rotate", "--new-key-from-stdin"], input=new + "\n")
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("re-encrypted 1 secret; now set GATEWAY_MASTER_KEY")
    settings = Settings.from_env({"GATEWAY_DATA_DIR": str(data_dir), "GATEWAY_MASTER_KEY": new})
    assert (
        open_credentials(settings, Database.from_settings(settings))
        .resolve_virtual_key("prod", None)
        .secret
        == PROVIDER_KEY
    )
    assert not os.path.exists(data_dir / "master.key")


def test_a_key_file_others_can_read_stops_every_command(data_dir):
    runner = CliRunner()
    add_key(runner)
    path = data_dir / "master.key"
    os.chmod(path, 0o644)
    key = path.read_text().splitlines()[-1]
    for args in (["virtual-keys", "list"], ["master-key", "rotate"]):
        out = runner.invoke(main, args)
        assert out.exit_code == 1
        assert out.stderr == (
            f"Error: refusing {path}: mode 0644 lets group or others access it; "
            f"run: chmod 600 {path}\n"
        )
        assert key not in out.output
