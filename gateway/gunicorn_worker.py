"""gunicorn's gthread and gevent workers, with gunicorn's own error pages in OpenAI's JSON shape.

gunicorn answers requests it cannot parse (a bad request line, a header line
without a name, headers too large) before the app runs, with an HTML page that
quotes the offending input, which can be a provider key (``Bearer sk-...`` sent
as a header line without its name). This worker answers them with a fixed JSON
body instead; it quotes nothing. Deployment glue only: the app does not import it.

``gevent`` is imported only when its worker is chosen (GATEWAY_WORKER_CLASS=gevent):
importing this module must not need it, nor patch anything.

``QuietAccessLogger`` is gunicorn's logger minus the work of an access line that
nobody reads (the app writes its own, ``gateway.observability.access_log``).
"""

from __future__ import annotations

import functools
import json
import logging
import select
import socket
from typing import Any

from gunicorn import glogging, util
from gunicorn.workers.gthread import ThreadWorker

_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    501: "not_implemented",
}


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error``; ``mesg`` (the client's input) is not used."""
    kind = "invalid_request_error" if status_int < 500 else "server_error"
    body = json.dumps(
        {
            "error": {
                "message": f"{reason}: the HTTP request could not be parsed.",
                "type": kind,
                "param": None,
                "code": _CODES.get(status_int, f"http_{status_int}"),
            }
        },
        separators=(",", ":"),
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "x-should-retry: false\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


class QuietAccessLogger(glogging.Logger):
    """Builds gunicorn's access line only when ``gunicorn.access`` would write it.

    With any ``logconfig_dict`` gunicorn counts its access log as on, and builds each
    request's atoms (a dict of every request and response header) before the logger
    drops the record at its level (CRITICAL in gunicorn.conf.py): wasted per request.
    """

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)


# How long a thread that has just answered on a kept-alive connection waits for that
# connection's next request before handing it back to the worker's poller.
NEXT_REQUEST_WAIT_S = 0.001
# Connections a gthread worker accepts per wake-up of its poller (see ``accept``).
ACCEPT_BATCH = 32


class JsonErrorThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, with the JSON error pages, serving a kept-alive
    connection's next request on the thread that answered the last one.

    gthread hands every kept-alive connection back to its main thread after each
    answer: a callback through a pipe, an epoll registration, a wake-up when the next
    request comes, and a hand-off to a pool thread again. When the next request is
    already on its way (nginx's pooled upstream connections, SDK clients in a loop,
    a load balancer's probes), that round trip costs more CPU than the gateway's own
    work on a small answer. Waiting ``NEXT_REQUEST_WAIT_S`` for it on the same thread
    skips it; a connection that stays quiet goes back to the poller as before.
    """

    def init_process(self) -> None:
        # gunicorn's base worker calls util.write_error by module attribute; this runs
        # in the forked worker only, so the master is untouched.
        util.write_error = write_json_error
        super().init_process()

    def accept(self, listener: Any) -> None:
        """Take every connection waiting on the listener, not one per poller wake-up.

        gthread accepts one connection each time its poller reports the listener readable;
        when 1,000 clients connect at once, the main thread then needs the GIL back 1,000
        times while the pool threads it feeds keep it busy, up to a switch interval (5 ms)
        each, and the last connections wait seconds to be accepted. One wake-up now takes
        up to ``ACCEPT_BATCH``: not the whole queue, so that the other workers, woken by
        the same connections, get their share of them (and of the cores).
        """
        for _ in range(ACCEPT_BATCH):
            if self.nr_conns >= self.worker_connections:
                return
            before = self.nr_conns
            super().accept(listener)  # one connection, or nothing if none is waiting
            if self.nr_conns == before:
                return

    def handle(self, conn: Any) -> Any:
        result = super().handle(conn)
        while result is True and self.alive and _next_request_soon(conn):
            result = super().handle(conn)
        return result


def _next_request_soon(conn: Any) -> bool:
    """True when the connection's next request is buffered or arrives within the wait."""
    if conn.parser is None or conn.is_http2:
        return False
    if conn.parser.unreader.buf.getvalue():  # read ahead with the last request's body
        return True
    poller = select.poll()
    try:
        poller.register(conn.sock, select.POLLIN)
        return bool(poller.poll(NEXT_REQUEST_WAIT_S * 1000))
    except (OSError, ValueError):  # closed meanwhile: the caller's normal path handles it
        return False


@functools.cache
def _gevent_worker() -> type:
    """Built on first use: gunicorn imports this module in the master for either worker
    class, and gevent is needed only for this one."""
    from gunicorn.workers.ggevent import GeventWorker

    class JsonErrorGeventWorker(GeventWorker):
        """gunicorn's gevent worker (one greenlet per connection) with the JSON error pages.

        gunicorn.conf.py has already monkey-patched the master before the app was built
        (preload_app); ``patch`` here runs again in the worker and is then a no-op for
        the modules, and still wraps the listening sockets for the hub.
        """

        def init_process(self) -> None:
            util.write_error = write_json_error
            super().init_process()

    return JsonErrorGeventWorker


def __getattr__(name: str) -> type:
    """``JsonErrorGeventWorker`` (GATEWAY_WORKER_CLASS=gevent), for gunicorn's import path."""
    if name == "JsonErrorGeventWorker":
        return _gevent_worker()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
