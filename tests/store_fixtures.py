"""Stores for tests that run on both engines, and a TCP proxy that plays a PostgreSQL outage.

A test module takes the fixtures by name binding (``store = store_fixtures.store``):
pytest finds fixtures among a module's globals.

- ``store``: a migrated :class:`Database`, once on SQLite (``<tmp>/data/gateway.db``)
  and once on a fresh PostgreSQL database (skipped when PostgreSQL does not answer,
  failed under ``CI=true``); disposed afterwards.
- ``store_url``: the same, as the ``GATEWAY_DATABASE_URL`` value a test puts in the
  environment (``None`` for the SQLite default).
- :class:`TcpProxy`: forwards to PostgreSQL until ``stop()`` (connections refused, the
  open ones cut) and again after ``start()``: an outage and a recovery, on one port.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from gateway.store.database import Database
from gateway.store.engine import database_url, normalise
from tests.store_servers import fresh_database, postgres_url

ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class StoreCase:
    """One engine's store for a test: the handle, and how the environment names it."""

    engine: str
    database: Database
    env_url: str | None  # GATEWAY_DATABASE_URL, None for the SQLite default
    data_dir: Path


@pytest.fixture(scope="session")
def postgres_server() -> str:
    # Session scope: resolved before the autouse fixture that scrubs GATEWAY_* variables.
    return postgres_url()


@contextlib.contextmanager
def open_case(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreCase]:
    data_dir = tmp_path / "data"
    if engine == "sqlite":
        url = database_url({"GATEWAY_DATA_DIR": str(data_dir)})
        database = Database(url, data_dir=str(data_dir))
        database.migrate()
        try:
            yield StoreCase(engine, database, None, data_dir)
        finally:
            database.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    with fresh_database(server) as plain:
        database = Database(normalise(plain, str(data_dir)), data_dir=str(data_dir))
        database.migrate()
        try:
            yield StoreCase(engine, database, plain, data_dir)
        finally:
            database.dispose()


@pytest.fixture(params=ENGINES)
def store_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreCase]:
    with open_case(request.param, tmp_path, request) as case:
        yield case


@pytest.fixture
def store(store_case: StoreCase) -> Database:
    return store_case.database


@pytest.fixture
def pg_case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreCase]:
    """PostgreSQL only."""
    with open_case("postgresql", tmp_path, request) as case:
        yield case


def with_password(url: str, password: str) -> str:
    """``url`` with a password (trust auth ignores it): for no-password-leaks checks."""
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def via(url: str, port: int) -> str:
    """``url`` pointed at 127.0.0.1:``port`` (a :class:`TcpProxy`)."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


class TcpProxy:
    """A TCP forwarder to ``host:port`` on a fixed local port, which can go down and up."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a stopped server would."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # close() alone leaves a listener that a thread is blocked on accepting.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def pg_proxy(postgres_server: str) -> Iterator[TcpProxy]:
    """A :class:`TcpProxy` in front of the test PostgreSQL server, started."""
    url = make_url(postgres_server)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def rows_of(database: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Plain rows of a test query (tests may spell SQL; the gateway's code may not)."""
    from sqlalchemy import text

    with database.read() as connection:
        return [tuple(r) for r in connection.execute(text(sql), params)]
