"""gunicorn's worker classes: gthread by default, gevent on request, both with JSON errors."""

from __future__ import annotations

import io
import logging
import socket
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from gateway import gunicorn_worker


def test_importing_the_module_neither_needs_nor_patches_gevent():
    # gunicorn.conf.py's master imports it for either class; gthread must not load gevent.
    code = "import sys, gateway.gunicorn_worker; print('gevent' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_the_gevent_worker_is_gunicorns_with_the_json_error_page():
    pytest.importorskip("gevent")
    from gunicorn.workers.ggevent import GeventWorker

    worker = gunicorn_worker.JsonErrorGeventWorker
    assert issubclass(worker, GeventWorker)
    assert gunicorn_worker.JsonErrorGeventWorker is worker  # built once


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError):
        gunicorn_worker.NoSuchWorker  # noqa: B018


def _atoms_built(level: int, accesslog: str | None) -> list[str]:
    """Whether gunicorn built an access line's atoms, its logger at ``level``."""
    from gunicorn.config import Config

    cfg = Config()
    if accesslog is not None:
        cfg.set("accesslog", accesslog)
    logger = gunicorn_worker.QuietAccessLogger(cfg)
    built: list[str] = []
    logger.atoms = lambda *args: built.append("atoms") or {}  # type: ignore[method-assign]
    access = logging.getLogger("gunicorn.access")
    for handler in [h for h in access.handlers if getattr(h, "_gunicorn", False)]:
        access.removeHandler(handler)  # nothing printed, nothing left for other tests
    access.setLevel(level)
    logger.access(None, None, {}, None)
    return built


def test_gunicorns_access_line_is_not_built_while_its_logger_is_off():
    # gunicorn.conf.py: a logconfig_dict (access "on" for gunicorn), the level CRITICAL.
    assert _atoms_built(logging.CRITICAL, "-") == []


def test_gunicorns_access_line_is_built_when_its_logger_is_on():
    assert _atoms_built(logging.INFO, "-") == ["atoms"]


def _conn(sock: socket.socket, buffered: bytes = b"") -> SimpleNamespace:
    """The parts of gunicorn's TConn that the next-request wait reads."""
    parser = SimpleNamespace(unreader=SimpleNamespace(buf=io.BytesIO(buffered)))
    return SimpleNamespace(sock=sock, parser=parser, is_http2=False)


def test_the_next_request_is_seen_when_its_bytes_arrive_or_are_buffered():
    ours, client = socket.socketpair()
    with ours, client:
        assert not gunicorn_worker._next_request_soon(_conn(ours))  # quiet: back to the poller
        assert gunicorn_worker._next_request_soon(_conn(ours, b"POST /v1/"))  # read ahead
        client.sendall(b"POST /v1/images/generations HTTP/1.1\r\n")
        assert gunicorn_worker._next_request_soon(_conn(ours))
        assert not gunicorn_worker._next_request_soon(SimpleNamespace(parser=None))  # new
    assert not gunicorn_worker._next_request_soon(_conn(ours))  # closed: the normal path


def test_a_kept_alive_connection_is_served_on_the_same_thread_while_requests_come(monkeypatch):
    ours, client = socket.socketpair()
    served: list[bytes] = []

    def serve_one(self, conn):  # gunicorn's handle: one request, True = keep alive
        line = conn.sock.recv(6)
        served.append(line)
        return line != b"close\n"

    monkeypatch.setattr(gunicorn_worker.ThreadWorker, "handle", serve_one)
    worker = object.__new__(gunicorn_worker.JsonErrorThreadWorker)
    worker.alive = True
    with ours, client:
        client.sendall(b"req 1\nreq 2\nreq 3\n")
        assert worker.handle(_conn(ours)) is True  # quiet after three: back to the poller
        assert served == [b"req 1\n", b"req 2\n", b"req 3\n"]
        client.sendall(b"req 4\nclose\nreq 6\n")
        assert worker.handle(_conn(ours)) is False  # the answer closed the connection
        assert served[3:] == [b"req 4\n", b"close\n"]
        worker.alive = False  # a stopping worker answers one and hands the rest back
        assert worker.handle(_conn(ours)) is True
        assert served[5:] == [b"req 6\n"]


def _worker_with(monkeypatch, worker_connections: int) -> tuple[Any, list[Any]]:
    """A JsonErrorThreadWorker with just what ``accept`` touches; handed-off connections
    are collected instead of going to a thread pool."""
    queued: list[Any] = []
    worker = object.__new__(gunicorn_worker.JsonErrorThreadWorker)
    worker.cfg = SimpleNamespace(is_ssl=False)
    worker.nr_conns = 0
    worker.worker_connections = worker_connections
    monkeypatch.setattr(worker, "enqueue_req", queued.append, raising=False)
    return worker, queued


def _listener_with(waiting: int) -> tuple[socket.socket, list[socket.socket]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.setblocking(False)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(waiting)]
    return listener, clients


def test_one_wake_up_accepts_every_waiting_connection_up_to_the_batch(monkeypatch):
    worker, queued = _worker_with(monkeypatch, worker_connections=100)
    listener, clients = _listener_with(gunicorn_worker.ACCEPT_BATCH + 3)
    try:
        worker.accept(listener)
        assert len(queued) == worker.nr_conns == gunicorn_worker.ACCEPT_BATCH
        worker.accept(listener)  # the next wake-up takes the rest, then finds none
        assert len(queued) == gunicorn_worker.ACCEPT_BATCH + 3
        worker.accept(listener)
        assert worker.nr_conns == gunicorn_worker.ACCEPT_BATCH + 3
    finally:
        for sock in [listener, *clients, *(c.sock for c in queued)]:
            sock.close()


def test_accepting_stops_at_worker_connections(monkeypatch):
    worker, queued = _worker_with(monkeypatch, worker_connections=4)
    listener, clients = _listener_with(6)
    try:
        worker.accept(listener)
        assert len(queued) == worker.nr_conns == 4
    finally:
        for sock in [listener, *clients, *(c.sock for c in queued)]:
            sock.close()
