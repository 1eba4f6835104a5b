from __future__ import annotations

import re

from click.testing import CliRunner

from gateway.cli import main
from gateway.credentials import looks_like_gateway_key, open_credentials
from gateway.settings import Settings
from gateway.store.database import Database
from tests.functional.conftest import stored_bytes


def creds(data_dir):
    settings = Settings(data_dir=str(data_dir))
    return open_credentials(settings, Database.from_settings(settings))


def test_create_prints_the_key_alone_on_stdout_and_stores_only_its_digest(data_dir):
    out = CliRunner().invoke(main, ["api-keys", "create", "--name", "team-a"])
    assert out.exit_code == 0, out.output
    assert re.fullmatch(r"pkgw_[A-Za-z0-9_-]{43}_[0-9A-Za-z]{6}\n", out.stdout)
    key = out.stdout.strip()
    assert looks_like_gateway_key(key)
    assert re.fullmatch(
        r"created ak_[0-9a-f]{12} for team team-a; it is shown only now\n", out.stderr
    )
    disk = stored_bytes(data_dir)
    assert key.encode() not in disk
    assert key[5:-7].encode() not in disk  # not even the random body
    assert creds(data_dir).authenticate(key).name == "team-a"


def test_list_and_revoke(data_dir):
    runner = CliRunner()
    key = runner.invoke(main, ["api-keys", "create", "--name", "team-a"]).stdout.strip()
    runner.invoke(main, ["api-keys", "create", "--name", "team-b"])
    out = runner.invoke(main, ["api-keys", "list"])
    lines = out.output.splitlines()
    assert lines[0].split() == ["id", "name", "hint", "created", "last_used", "revoked"]
    first = lines[1].split()
    assert (first[1], first[2], first[4], first[5]) == ("team-a", f"...{key[-4:]}", "-", "-")
    assert key not in out.output
    key_id = first[0]

    out = runner.invoke(main, ["api-keys", "revoke", key_id])
    assert (out.exit_code, out.output) == (0, "revoked 1 key\n")
    revoked = runner.invoke(main, ["api-keys", "list"]).output.splitlines()[1].split()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", revoked[5])
    assert creds(data_dir).authenticate(key) is None

    out = runner.invoke(main, ["api-keys", "revoke", key_id])
    assert out.exit_code == 1
    assert out.stderr == f"Error: no active key has the id or team '{key_id}'\n"


def test_a_bad_team_name_is_a_usage_error(data_dir):
    out = CliRunner().invoke(main, ["api-keys", "create", "--name", "team a"])
    assert out.exit_code == 2
    assert "--name must be 1-64 letters, digits" in out.stderr
    assert not data_dir.exists()
