"""The provider key never leaves the gateway except towards the provider itself.

One gateway (log level DEBUG, so every log line it can write is written) is driven
through every failure we can provoke, each request carrying a canary key. Then the
key is searched for in every response body and header, in the gateway's own
stdout/stderr, and in every byte of its data dir (SQLite file, WAL and all) and
every value of every table.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import sqlite3
import string
from contextlib import closing
from dataclasses import dataclass

import pytest
import requests

IMAGES = "/v1/images/generations"
RANDOM_PART = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
KEY = "sk-proj-LEAKCANARY" + RANDOM_PART
# The whole key, its last 8 characters (more than OpenAI's own masking shows) and every
# 12-character window of its random part.
NEEDLES = (
    KEY,
    KEY[-8:],
    *(RANDOM_PART[i : i + 12] for i in range(len(RANDOM_PART) - 11)),
)
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {"Content-Type": "application/json"}


def leaks(data: str | bytes) -> list[str]:
    """The needles found in ``data``."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return [needle for needle in NEEDLES if needle in text]


def scenarios(fake_base_url, closed_port):
    """name -> (headers, raw body). Every one carries the key somewhere."""
    ok = json.dumps({"model": "dall-e-3", "prompt": "a red fox"})

    def via(prefix, **headers):
        host = f"{fake_base_url}/{prefix}/v1"
        return {**AUTH, **JSON, "x-portkey-custom-host": host, **headers}

    return {
        "success": ({**AUTH, **JSON}, ok),
        "upstream-401-echoes-key": (via("status/401"), ok),
        "upstream-echo-key-500": (via("echo-key"), ok),
        "upstream-400": (via("status/400"), ok),
        "upstream-429": (via("status/429"), ok),
        "upstream-500": (via("status/500"), ok),
        "upstream-503": (via("status/503"), ok),
        "upstream-not-json": (via("text"), ok),
        "upstream-redirect": (via("redirect"), ok),
        "upstream-redirect-to-self": (via("redirect-self"), ok),
        "upstream-hangs-up": (via("hang/100"), ok),
        "upstream-timeout": (via("slow/2000", **{"x-portkey-request-timeout": "300"}), ok),
        "upstream-unreachable": (
            {**AUTH, **JSON, "x-portkey-custom-host": f"http://127.0.0.1:{closed_port}/v1"},
            ok,
        ),
        "custom-host-not-allowed": (
            {**AUTH, **JSON, "x-portkey-custom-host": f"http://127.0.0.1:9/{KEY}/v1"},
            ok,
        ),
        "custom-host-with-credentials": (
            {
                **AUTH,
                **JSON,
                "x-portkey-custom-host": fake_base_url.replace("//", f"//{KEY}@") + "/v1",
            },
            ok,
        ),
        "bad-json-with-key-in-body": ({**AUTH, **JSON}, '{"prompt": "' + KEY),
        "duplicate-key-with-key-as-value": (
            {**AUTH, **JSON},
            '{"prompt": "x", "prompt": "' + KEY + '"}',
        ),
        "invalid-size-is-the-key": (
            {**AUTH, **JSON},
            json.dumps({"model": "dall-e-3", "prompt": "x", "size": KEY}),
        ),
        "oversized-body": ({**AUTH, **JSON}, json.dumps({"prompt": KEY * 20_000})),
        "wrong-content-type": ({**AUTH, "Content-Type": "text/plain"}, ok),
        "bad-metadata-json": ({**AUTH, **JSON, "x-portkey-metadata": '{"k": "' + KEY}, ok),
        "bad-metadata-shape": (
            {**AUTH, **JSON, "x-portkey-metadata": json.dumps({"k": {"nested": KEY}})},
            ok,
        ),
        "metadata-value-too-long": (
            {**AUTH, **JSON, "x-portkey-metadata": json.dumps({"k": KEY * 4})},
            ok,
        ),
        "unknown-provider": ({**AUTH, **JSON, "x-portkey-provider": "nope-ai"}, ok),
        "basic-instead-of-bearer": ({"Authorization": f"Basic {KEY}", **JSON}, ok),
        "bearer-with-two-tokens": ({"Authorization": f"Bearer {KEY} {KEY}", **JSON}, ok),
        "portkey-api-key-with-space": ({"x-portkey-api-key": f"{KEY} x", **JSON}, ok),
        "forward-authorization-refused": (
            {**AUTH, **JSON, "x-portkey-forward-headers": "authorization"},
            ok,
        ),
        "bad-request-timeout": ({**AUTH, **JSON, "x-portkey-request-timeout": KEY}, ok),
        "bad-organization": ({**AUTH, **JSON, "x-portkey-openai-organization": f"{KEY} x"}, ok),
        "config-header-unsupported": ({**AUTH, **JSON, "x-portkey-config": KEY}, ok),
        **provider_option_scenarios(fake_base_url),
    }


def provider_option_scenarios(fake_base_url):
    """The canary as an AWS secret, an Azure AD token and inside a service-account JSON."""
    body = json.dumps({"prompt": "a red fox"})
    aws = {
        **JSON,
        "x-portkey-provider": "bedrock",
        "x-portkey-aws-access-key-id": "AKIDE2EEXAMPLE0000",
        "x-portkey-aws-secret-access-key": KEY,
        "x-portkey-aws-region": "us-east-1",
    }
    account = {"type": "service_account", "project_id": "p", "private_key": KEY}
    vertex = {**JSON, "x-portkey-provider": "vertex-ai", "x-portkey-vertex-region": "us-central1"}
    azure = {
        **JSON,
        "x-portkey-provider": "azure-openai",
        "x-portkey-azure-resource-name": "res",
        "x-portkey-azure-deployment-id": "dep",
        "x-portkey-azure-ad-token": KEY,
    }
    config = {"provider": "bedrock", "aws_access_key_id": "AKID", "aws_secret_access_key": KEY}
    return {
        "aws-secret-signature-refused": (
            {**aws, "x-portkey-custom-host": f"{fake_base_url}/p/bedrock"},
            body,
        ),
        "aws-secret-bad-region": ({**aws, "x-portkey-aws-region": "us_east!1"}, body),
        "aws-secret-in-config-with-bad-host": (
            {**JSON, "x-portkey-config": json.dumps({**config, "custom_host": "http://10.0.0.1"})},
            body,
        ),
        "service-account-json-unusable": (
            {**vertex, "x-portkey-vertex-service-account-json": json.dumps(account)},
            body,
        ),
        "service-account-json-broken": (
            {**vertex, "x-portkey-vertex-service-account-json": '{"private_key": "' + KEY},
            body,
        ),
        "azure-ad-token-used": (
            {**azure, "x-portkey-custom-host": f"{fake_base_url}/p/azure-openai"},
            body,
        ),
    }


# Requests gunicorn itself parses before the app sees them (a client that loses the
# header name, a Gemini/Azure-style client that puts the key in the query string).
RAW_SCENARIOS = {
    "header-line-without-name": (
        f"POST {IMAGES} HTTP/1.1\r\nHost: gw\r\nBearer {KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "key-in-query-string": (
        f"POST {IMAGES}?api_key={KEY} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {KEY}\r\n"
        'Content-Type: application/json\r\nContent-Length: 15\r\n\r\n{"prompt": "x"}'
    ),
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def send_raw(port: int, raw: str) -> Answer:
    """Send ``raw`` as-is on a new connection and read the one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw.encode("latin-1"))
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Answer(response.status, dict(response.getheaders()), response.read())


def send(gateway, name: str, headers: dict[str, str], data: str) -> Answer:
    with requests.Session() as session:  # a connection per request: a 413 may close it
        session.trust_env = False
        response = session.post(
            gateway.url(IMAGES),
            data=data.encode(),
            headers={**headers, "x-portkey-trace-id": f"leak-{name}"},
            timeout=30,
        )
    return Answer(response.status_code, dict(response.headers), response.content)


@pytest.fixture(scope="module")
def leak_run(start_gateway, fake_provider, closed_port):
    """Drive every scenario once, wait for the request log, stop the gateway.

    Returns ``(gateway, {name: Answer}, [requests the fake received])``.
    """
    gateway = start_gateway(
        GATEWAY_ALLOWED_CUSTOM_HOSTS=f"{fake_provider.base_url},http://127.0.0.1:{closed_port}",
        GATEWAY_LOG_LEVEL="DEBUG",
    )
    fake_provider.clear()  # module fixtures run before the per-test clear
    answers = {
        name: send(gateway, name, headers, data)
        for name, (headers, data) in scenarios(fake_provider.base_url, closed_port).items()
    }
    answers |= {name: send_raw(gateway.port, raw) for name, raw in RAW_SCENARIOS.items()}
    for name in scenarios(fake_provider.base_url, closed_port):
        gateway.log_rows(f"leak-{name}")  # bounded poll: the log writer is asynchronous
    gateway.stop()
    return gateway, answers, fake_provider.requests


def test_every_app_scenario_was_answered_with_json(leak_run):
    _, answers, _ = leak_run

    not_json = {
        name: (a.status, a.headers.get("Content-Type"))
        for name, a in answers.items()
        if name not in RAW_SCENARIOS
        and not a.headers.get("Content-Type", "").startswith("application/json")
    }

    assert not_json == {}
    successes = {"success", "azure-ad-token-used"}
    assert {n: answers[n].status for n in successes} == dict.fromkeys(successes, 200)
    failures = {n: a.status for n, a in answers.items() if n not in {*RAW_SCENARIOS, *successes}}
    assert {n: s for n, s in failures.items() if s < 400} == {}


def test_canary_key_did_reach_the_provider(leak_run):
    """Control: the gateway held the key in every upstream failure, and used it."""
    _, _, upstream = leak_run

    openai_calls = [r for r in upstream if not r.path.startswith("/p/")]
    assert len(openai_calls) >= 12
    assert {r.headers.get("authorization") for r in openai_calls} == {f"Bearer {KEY}"}
    azure = [r for r in upstream if r.path.startswith("/p/azure-openai/")]
    assert [r.headers.get("authorization") for r in azure] == [f"Bearer {KEY}"]
    bedrock = [r for r in upstream if r.path.startswith("/p/bedrock/")]
    assert len(bedrock) == 1
    assert bedrock[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDE2E")
    assert leaks(f"error: Bearer {KEY}") == list(NEEDLES)


@pytest.mark.parametrize("name", [*scenarios("http://127.0.0.1:1", 1), *RAW_SCENARIOS])
def test_key_is_absent_from_response(leak_run, name):
    _, answers, _ = leak_run
    answer = answers[name]

    header_text = "\n".join(f"{k}: {v}" for k, v in answer.headers.items())

    assert leaks(answer.body) == [], answer.body
    assert leaks(header_text) == [], header_text


def test_key_is_absent_from_gateway_output(leak_run):
    gateway, _, _ = leak_run
    output = gateway.stdout_text()

    assert "leak-upstream-401-echoes-key" in output  # the access log did see the requests
    assert [line for line in output.splitlines() if leaks(line)] == []


@pytest.mark.local_files
def test_key_is_absent_from_every_file_in_the_data_dir(leak_run):
    gateway, _, _ = leak_run
    files = sorted(p for p in gateway.data_dir.rglob("*") if p.is_file())

    assert gateway.db_path in files
    assert {p.name: leaks(p.read_bytes()) for p in files} == {p.name: [] for p in files}


@pytest.mark.local_files
def test_key_is_absent_from_every_stored_value(leak_run):
    gateway, _, _ = leak_run
    with closing(sqlite3.connect(f"file:{gateway.db_path}?mode=ro", uri=True)) as db:
        tables = [
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        values = [
            str(value)
            for table in tables
            if table and not table.startswith("sqlite_")
            for row in db.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from schema
            for value in row
        ]
        traces = {row[0] for row in db.execute("SELECT trace_id FROM request_log")}

    assert traces >= {f"leak-{name}" for name in scenarios("http://127.0.0.1:1", 1)}
    assert leaks("\n".join(values)) == []
