"""gunicorn on PostgreSQL: down at start-up is one line that names the variable and the
host (never the password); up, a call is logged and read back by ``gateway logs``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests import store_fixtures
from tests.factories import MASTER_KEY_1
from tests.store_fixtures import with_password
from tests.store_servers import fresh_database

if __package__:
    from .conftest import Gateway, free_port, poll
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import Gateway, free_port, poll

REPO = Path(__file__).resolve().parents[2]
postgres_server = store_fixtures.postgres_server


def test_postgresql_down_at_start_stops_gunicorn_with_one_line(tmp_path):
    port = free_port()  # nothing listens there
    env = {
        "PATH": "/usr/bin:/bin",
        "GATEWAY_BIND": "127.0.0.1:0",
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_MASTER_KEY": MASTER_KEY_1,
        "GATEWAY_DATABASE_URL": f"postgresql://gw:s3cret-pw@127.0.0.1:{port}/gw",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if line.startswith("gateway: ")]
    assert line.startswith(
        f"gateway: store error: GATEWAY_DATABASE_URL: postgresql+psycopg://gw:***@127.0.0.1:"
        f"{port}/gw: cannot open or migrate the store (OperationalError: "
    )
    assert "Connection refused" in line
    assert "s3cret" not in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    with fresh_database(postgres_server) as url:
        yield url


def test_a_gateway_on_postgresql_logs_calls_the_cli_reads_them(
    start_gateway: Callable[..., Gateway], pg_url: str
) -> None:
    gateway = start_gateway(
        GATEWAY_DATABASE_URL=with_password(pg_url, "s3cret-pw"), GATEWAY_MASTER_KEY=MASTER_KEY_1
    )
    session = requests.Session()
    session.trust_env = False
    with session:
        assert session.get(gateway.url("/readyz"), timeout=10).json()["status"] == "ready"
        answer = session.post(
            gateway.url("/v1/images/generations"),
            json={"prompt": "a lighthouse", "n": 1, "size": "256x256"},
            headers={"x-portkey-provider": "placeholder", "x-portkey-trace-id": "pg-e2e"},
            timeout=30,
        )
    assert answer.status_code == 200, answer.text

    def logged():
        done = gateway.cli("logs", "--json", "--trace-id", "pg-e2e")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    rows = poll(logged, 10)
    assert [(r["status"], r["provider"], r["trace_id"]) for r in rows] == [
        (200, "placeholder", "pg-e2e")
    ]
    assert "s3cret" not in gateway.stdout_text()
