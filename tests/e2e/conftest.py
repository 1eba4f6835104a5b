"""End-to-end fixtures: the real app under gunicorn (``wsgi:app``) and a fake provider.

Both run on 127.0.0.1 only. Every process started here is stopped by its PID
(SIGTERM, a bounded wait, then SIGKILL); every wait is a bounded poll. Secrets
reach the gateway through the environment or request headers, never argv.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, suppress
from pathlib import Path
from typing import Any

import pytest
import requests

if __package__:  # tests/ became a package
    from .fake_provider import FakeProvider
else:  # rootdir-less conftest: pytest put this folder on sys.path
    from fake_provider import FakeProvider

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
LOG_TIMEOUT = 5.0
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_environ() -> dict[str, str]:
    """This process's environment without proxies and without any inherited GATEWAY_*."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in _PROXY_VARS
        and not name.startswith("GATEWAY_")
        and not name.startswith("PORTKEY_")
        and not name.startswith("OPENAI_")
    }


def _child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn's workers), from /proc; empty elsewhere."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def poll(fetch: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Call ``fetch`` until it returns something truthy or ``timeout`` passes; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Gateway:
    """A gunicorn master serving ``wsgi:app`` with its own data dir and log file."""

    def __init__(self, env: dict[str, str], data_dir: Path, log_path: Path) -> None:
        self.env = env
        self.data_dir = data_dir
        self.log_path = log_path
        self.base_url = "http://" + env["GATEWAY_BIND"]
        self._workers: list[int] = []
        with log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def port(self) -> int:
        return int(self.env["GATEWAY_BIND"].rpartition(":")[2])

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def db_path(self) -> Path:
        return self.data_dir / "gateway.db"

    def stdout_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def url(self, path: str) -> str:
        return self.base_url + path

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        session = requests.Session()
        session.trust_env = False

        def healthy() -> bool:
            if self.proc.poll() is not None:
                return True  # exited: stop polling, the caller checks
            try:
                return session.get(self.url("/healthz"), timeout=1).status_code == 200
            except requests.RequestException:
                return False

        with session:
            return bool(poll(healthy, timeout, 0.1)) and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM the master, wait, then SIGKILL it and any worker it left behind."""
        self.terminate()
        self.wait_stopped()

    def terminate(self) -> None:
        """Send SIGTERM without waiting (lets a teardown stop several at once)."""
        if self.proc.poll() is None:
            self._workers = _child_pids(self.proc.pid)
            self.proc.terminate()

    def wait_stopped(self, timeout: float = STOP_TIMEOUT) -> None:
        try:
            self.proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            workers = {*self._workers, *_child_pids(self.proc.pid)}
            self.proc.kill()
            self.proc.wait(timeout=timeout)
        for pid in workers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log_rows(self, trace_id: str | None = None, timeout: float = LOG_TIMEOUT) -> list[dict]:
        """Rows of ``request_log`` (for ``trace_id`` if given), polling until one appears."""

        url = self.env.get("GATEWAY_DATABASE_URL")
        if url:
            return poll(lambda: _store_rows(url, trace_id), timeout, 0.05)

        def fetch() -> list[dict]:
            if not self.db_path.exists():
                return []
            sql = "SELECT * FROM request_log"
            params: tuple[str, ...] = ()
            if trace_id is not None:
                sql, params = sql + " WHERE trace_id = ?", (trace_id,)
            try:
                with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
                    db.row_factory = sqlite3.Row
                    return [dict(row) for row in db.execute(sql, params).fetchall()]
            except sqlite3.Error:
                return []

        return poll(fetch, timeout, 0.05)

    def attempt_rows(self, request_id: str, at_least: int = 1) -> list[tuple[str, str, int]]:
        """``(target_path, provider, status)`` of one request's attempts in order, from
        whichever store this instance uses, polled until ``at_least`` are written."""
        url = self.env.get("GATEWAY_DATABASE_URL")

        def fetch() -> list[tuple[str, str, int]] | None:
            if url:
                rows = _store_attempts(url, request_id)
            elif not self.db_path.exists():
                return None
            else:
                try:
                    with closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
                        rows = db.execute(
                            "SELECT target_path, provider, status FROM request_attempts "
                            "WHERE request_id = ? ORDER BY seq",
                            (request_id,),
                        ).fetchall()
                except sqlite3.Error:
                    return None
            return [tuple(row) for row in rows] if len(rows) >= at_least else None

        return poll(fetch, LOG_TIMEOUT, 0.05)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``gateway`` console script against this instance's data dir."""
        exe = BIN_DIR / "gateway"
        return subprocess.run(
            [str(exe), *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def cli_json(self, *args: str) -> Any:
        done = self.cli(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def _store_rows(url: str, trace_id: str | None) -> list[dict]:
    """``request_log`` rows from a shared store (GATEWAY_E2E_ENGINE=postgresql)."""
    from sqlalchemy import select

    from gateway.store.tables import request_log

    query = select(request_log)
    if trace_id is not None:
        query = query.where(request_log.c.trace_id == trace_id)
    return [dict(row._mapping) for row in _read_store(url, query)]


def _store_attempts(url: str, request_id: str) -> list[Any]:
    from sqlalchemy import select

    from gateway.store.tables import request_attempts as table

    query = (
        select(table.c.target_path, table.c.provider, table.c.status)
        .where(table.c.request_id == request_id)
        .order_by(table.c.seq)
    )
    return _read_store(url, query)


def _read_store(url: str, query: Any) -> list[Any]:
    """``query``'s rows from the store at ``url``, or none while it cannot be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.store.database import Database

    database = Database(url, data_dir=str(REPO_ROOT), pool_size=1)
    try:
        with database.read() as connection:
            return list(connection.execute(query))
    except SQLAlchemyError:
        return []
    finally:
        database.dispose()


# GATEWAY_E2E_ENGINE=postgresql: every gateway these tests start gets a fresh PostgreSQL
# database (and a master key in its environment) instead of its SQLite file; .ci/run runs
# the engine-neutral part of the suite a second time so. Tests that read the SQLite file
# itself, or set their own store, keep theirs.
E2E_ENGINE = os.environ.get("GATEWAY_E2E_ENGINE", "sqlite")


def _engine_environ(stack: ExitStack) -> dict[str, str]:
    if E2E_ENGINE != "postgresql":
        return {}
    from tests.factories import MASTER_KEY_1
    from tests.store_servers import fresh_database, postgres_url

    url = stack.enter_context(fresh_database(postgres_url()))
    return {"GATEWAY_DATABASE_URL": url, "GATEWAY_MASTER_KEY": MASTER_KEY_1}


_DATABASES = ExitStack()  # dropped at the end of the session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if E2E_ENGINE == "sqlite":
        return
    skip = pytest.mark.skip(reason="reads the SQLite file or the data directory itself")
    for item in items:
        if item.get_closest_marker("local_files"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _drop_e2e_databases() -> Iterator[None]:
    yield
    _DATABASES.close()


def _start(
    tmp_path_factory: pytest.TempPathFactory, fake: FakeProvider, overrides: dict[str, Any]
) -> Gateway:
    last_log = ""
    for _ in range(3):  # the free port may be taken between probe and bind
        root = tmp_path_factory.mktemp("gateway")
        data_dir = root / "data"
        data_dir.mkdir()
        env = _clean_environ()
        env.update(
            GATEWAY_BIND=f"127.0.0.1:{free_port()}",
            GATEWAY_DATA_DIR=str(data_dir),
            GATEWAY_WORKERS="2",
            GATEWAY_THREADS="8",
            GATEWAY_OPENAI_BASE_URL=f"{fake.base_url}/v1",
            PYTHONUNBUFFERED="1",
        )
        if "GATEWAY_DATABASE_URL" not in overrides:
            env.update(_engine_environ(_DATABASES))
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = str(value)
        gateway = Gateway(env, data_dir, root / "gateway.log")
        if gateway.wait_ready():
            return gateway
        gateway.stop()
        last_log = gateway.stdout_text()
        if "Address already in use" not in last_log:
            break
    pytest.fail(f"gateway did not become healthy; its log:\n{last_log}", pytrace=False)


@pytest.fixture(scope="session")
def fake_provider() -> Iterator[FakeProvider]:
    fake = FakeProvider().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _clear_fake_provider(request: pytest.FixtureRequest) -> None:
    """Each test starts with an empty request record (only if it uses the fake)."""
    if "fake_provider" in request.fixturenames:
        request.getfixturevalue("fake_provider").clear()


@pytest.fixture(scope="module")
def start_gateway(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: FakeProvider
) -> Iterator[Callable[..., Gateway]]:
    """Factory: ``start_gateway(GATEWAY_X="...")`` -> a healthy :class:`Gateway`.

    Every instance is stopped at the end of the module (or earlier by ``.stop()``).
    """
    started: list[Gateway] = []

    def start(**env: Any) -> Gateway:
        gateway = _start(tmp_path_factory, fake_provider, env)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:  # all at once: each takes a second or two to drain
        gateway.terminate()
    for gateway in started:
        gateway.wait_stopped()


@pytest.fixture(scope="module")
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway()


@pytest.fixture(scope="module")
def http(start_gateway: Callable[..., Gateway]) -> Iterator[requests.Session]:
    """A client that ignores proxy variables and .netrc.

    It depends on ``start_gateway`` only to be closed first: gunicorn drains open
    keep-alive connections before a worker exits.
    """
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield int(sock.getsockname()[1])
    sock.close()
