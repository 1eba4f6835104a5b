"""A stored provider key, used through a virtual key, never leaves the gateway in the clear:
not in answers, headers, logs, request-log rows or any file of the data directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

SECRET = "sk-proj-VKCANARY" + "Q7wErTyUiOpAsDfGhJkLzXcVbNm1234567890"
GATEWAY_CLI = Path(sys.executable).parent / "gateway"


@pytest.fixture(scope="module")
def guarded(start_gateway, fake_provider):
    # Every OpenAI call goes to the fake's 401 path, which echoes the Authorization
    # header it received in its error message: the worst case for a leak.
    gateway = start_gateway(
        GATEWAY_REQUIRE_API_KEY="true",
        GATEWAY_OPENAI_BASE_URL=fake_provider.upstream("status/401"),
    )
    created = gateway.cli("api-keys", "create", "--name", "design")
    assert created.returncode == 0, created.stderr
    gateway.api_key = created.stdout.strip()
    done = subprocess.run(  # the secret goes in on stdin, never on the command line
        [str(GATEWAY_CLI), "virtual-keys", "create", "prod", "--provider", "openai"],
        input=SECRET,
        env=gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return gateway


def test_the_stored_key_reaches_the_provider_and_nothing_else(guarded, fake_provider):
    res = requests.post(
        guarded.base_url + "/v1/images/generations",
        json={"model": "dall-e-3", "prompt": "a red fox"},
        headers={
            "Authorization": f"Bearer {guarded.api_key}",
            "x-portkey-virtual-key": "prod",
            "x-portkey-trace-id": "vk-leak",
        },
        timeout=30,
    )
    assert res.status_code == 401  # the provider's own 401, passed on and scrubbed
    [call] = fake_provider.requests
    assert call.headers["authorization"] == f"Bearer {SECRET}"
    assert guarded.api_key not in str(call.headers)
    [row] = guarded.log_rows("vk-leak")
    assert (row["team"], row["virtual_key"], row["status"]) == ("design", "prod", 401)
    for text in (res.text, str(res.headers), guarded.stdout_text(), str(row)):
        assert SECRET not in text
        assert SECRET[-20:] not in text
    for path in Path(guarded.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert SECRET[-20:].encode() not in data, path
