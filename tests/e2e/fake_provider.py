"""A fake OpenAI Images API on 127.0.0.1. Stdlib only; no outbound network.

One server emulates many upstreams: the behaviour is chosen by a path prefix in front of
``/v1/images/generations`` (the gateway appends ``/images/generations`` to its base URL):

=============================  ==================================================================
``/v1/...``, ``/ok/v1/...``    200 with ``n`` url items (``b64_json`` items if asked for)
``/b64/<bytes>/v1/...``        200 with one ``b64_json`` item whose string is ``<bytes>`` long
``/slow/<ms>/v1/...``          waits ``<ms>`` (bounded), then answers as ``/ok``
``/flaky/<n>/v1/...``          429 with ``Retry-After: 1`` for the first ``<n>`` requests on
                               that path, then as ``/ok``
``/status/<code>/v1/...``      ``<code>`` with an OpenAI error body (429: ``Retry-After: 1``;
                               401: OpenAI's message plus the caller's full bearer token)
``/text/v1/...``               200 ``text/html`` ``<html>oops</html>``
``/redirect/v1/...``           302 to ``http://127.0.0.1:1/steal``
``/redirect-self/v1/...``      307 to this server's ``/steal/v1/images/generations`` (recorded,
                               so a test can prove the redirect was not followed)
``/hang/<ms>/v1/...``          waits ``<ms>`` (bounded), then closes without answering
``/cut/v1/...``                200 whose ``Content-Length`` promises the full answer; the
                               connection closes after half of it
``/truncated/v1/...``          200 with a complete HTTP body holding truncated JSON
                               ``{"created": 1700000000, "data": [{"url": "https://mock.``
``/quota/v1/...``              429 ``insufficient_quota`` (OpenAI's billing error), no
                               ``Retry-After``
``/wait/<s>/v1/...``           429 rate limit with ``Retry-After: <s>``
``/echo-key/v1/...``           500 whose message holds the received Authorization header
``/p/<provider>/...``          that provider's fake API (``tests/e2e/fakes/<module>.py``)
``/v1/images/edits``,          the same prefixes; OpenAI's forms, checked as OpenAI does
``/v1/images/variations``      (``fake_openai_edits``); ``RecordedRequest.form()`` reads them
anything else                  404 OpenAI error; ``GET /__health`` is 200
=============================  ==================================================================

Used by the e2e tests (``FakeProvider``) and by the benchmark as a process::

    python -m tests.e2e.fake_provider --port 0 [--no-record]   # prints "READY <port>"
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

if __package__:
    from .fake_multipart import Form, parse
    from .fake_openai_bodies import (
        CREATED,
        ERRORS,
        OPENAI_401_MESSAGE,
        QUOTA_MESSAGE,
        REVISED_PROMPT,
        TINY_PNG_B64,
        TRUNCATED_BODY,
        b64_body,
        error_body,
        ok_body,
    )
    from .fake_openai_edits import openai_reply
    from .fakes import FakeRequest, registry
else:  # rootdir-less conftest: pytest put this folder on sys.path
    from fake_multipart import Form, parse
    from fake_openai_bodies import (  # noqa: F401 - also imported from here (tests, bench)
        CREATED,
        ERRORS,
        OPENAI_401_MESSAGE,
        QUOTA_MESSAGE,
        REVISED_PROMPT,
        TINY_PNG_B64,
        TRUNCATED_BODY,
        b64_body,
        error_body,
        ok_body,
    )
    from fake_openai_edits import openai_reply
    from fakes import FakeRequest, registry

IMAGES_PATH = "/v1/images/generations"
REQUEST_ID = "req_fake123"
REDIRECT_LOCATION = "http://127.0.0.1:1/steal"
MAX_SLEEP_MS = 30_000
MAX_B64_BYTES = 64 * 1024 * 1024
MAX_N = 10
_PREFIX = re.compile(
    r"^(?:/(?P<kind>ok|b64|slow|status|flaky|text|redirect|redirect-self|hang|echo-key|steal"
    r"|cut|truncated|quota|wait)"
    r"(?:/(?P<arg>\d+))?)?/v1/images/(?P<endpoint>generations|edits|variations)$"
)
_NEEDS_ARG = {"b64", "slow", "status", "hang", "flaky", "wait"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> Form:
        """The multipart form of an edit or variation: fields, files (with SHA-256)."""
        return parse(self.headers.get("content-type", ""), self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], record: bool = True) -> None:
        super().__init__(address, _Handler)
        self.record = record
        self.recorded: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.flaky_seen: dict[str, int] = {}
        self.waiting = 0  # /slow and /hang requests sleeping now, and their peak since clear()
        self.peak_waiting = 0
        self.fakes = registry()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Peers hanging up (timeouts, hang tests) are expected; anything else is a fake bug.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        return "FakeOpenAI/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", REQUEST_ID)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _succeed(self, kind: str, body: bytes) -> None:
        """200 with ``body``; for ``cut``, promise it in full, send half, and close."""
        if kind != "cut":
            self._send(200, body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _handle(self) -> None:
        body = self._read_body()
        path, _, query = self.path.partition("?")
        if self.command == "GET" and path == "/__health":
            self._send(200, b'{"status":"ok"}')
            return
        if self.server.record:
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            request = RecordedRequest(self.command, path, query, headers, body)
            with self.server.lock:
                self.server.recorded.append(request)
        if path.startswith("/p/"):
            self._fake(path, query, body)
            return
        match = _PREFIX.match(path)
        kind = (match and match["kind"]) or "ok"
        arg = int(match["arg"]) if match and match["arg"] else None
        if not match or kind == "steal" or (kind in _NEEDS_ARG) != (arg is not None):
            self._send(404, error_body(404, f"Invalid URL ({self.command} {path})", "unknown_url"))
        elif self.command != "POST":
            self._send(405, error_body(405, f"Method {self.command} not allowed."))
        else:
            self._dispatch(kind, arg, body, match["endpoint"])

    def _fake(self, path: str, query: str, body: bytes) -> None:
        name, _, rest = path[3:].partition("/")
        handler = self.server.fakes.get(name)
        if handler is None:
            self._send(404, error_body(404, f"No fake for provider {name!r}", "unknown_url"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        base = f"http://127.0.0.1:{self.server.server_address[1]}/p/{name}"
        reply = handler(FakeRequest(self.command, "/" + rest, query, headers, body, base))
        self._send(reply.status, reply.body, reply.content_type, **reply.headers)

    def _dispatch(self, kind: str, arg: int | None, body: bytes, endpoint: str) -> None:
        if kind in ("slow", "hang"):
            with self.server.lock:
                self.server.waiting += 1
                self.server.peak_waiting = max(self.server.peak_waiting, self.server.waiting)
            self.server.stopping.wait(min(arg or 0, MAX_SLEEP_MS) / 1000)
            with self.server.lock:
                self.server.waiting -= 1
            if kind == "hang":
                self.close_connection = True
                return
        if kind == "flaky":
            with self.server.lock:
                seen = self.server.flaky_seen.get(self.path, 0)
                self.server.flaky_seen[self.path] = seen + 1
            if seen < (arg or 0):
                self._send(429, error_body(429), **{"Retry-After": "1"})
                return
        if kind in ("ok", "slow", "flaky", "cut"):
            self._ok(kind, endpoint, body)
        elif kind == "b64":
            self._send(200, b64_body(min(arg or 0, MAX_B64_BYTES)))
        elif kind == "text":
            self._send(200, b"<html>oops</html>", "text/html")
        elif kind == "redirect":
            self._send(302, b"", Location=REDIRECT_LOCATION)
        elif kind == "redirect-self":
            location = f"http://127.0.0.1:{self.server.server_address[1]}/steal{IMAGES_PATH}"
            self._send(307, b"", Location=location)
        else:
            self._fail(kind, arg)

    def _ok(self, kind: str, endpoint: str, body: bytes) -> None:
        if endpoint == "generations":
            return self._succeed(kind, ok_body(*_image_options(body)))
        status, answer = openai_reply(endpoint, self.headers.get("Content-Type", ""), body)
        return self._succeed(kind, answer) if status == 200 else self._send(status, answer)

    def _fail(self, kind: str, arg: int | None) -> None:
        authorization = self.headers.get("Authorization", "")
        if kind == "status" and arg == 401:
            message = f"{OPENAI_401_MESSAGE} (Authorization: {authorization})"
            self._send(401, error_body(401, message))
        elif kind == "status" and arg is not None and 400 <= arg <= 599:
            extra = {"Retry-After": "1"} if arg == 429 else {}
            self._send(arg, error_body(arg), **extra)
        elif kind == "truncated":
            self._send(200, TRUNCATED_BODY)
        elif kind == "quota":
            self._send(429, error_body(429, QUOTA_MESSAGE, "insufficient_quota"))
        elif kind == "wait":
            self._send(429, error_body(429), **{"Retry-After": str(arg)})
        elif kind == "echo-key":
            self._send(500, error_body(500, f"Upstream failure for {authorization}"))
        else:
            self._send(404, error_body(404))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def _image_options(body: bytes) -> tuple[int, str]:
    try:
        payload = json.loads(body)
    except ValueError:
        return 1, "url"
    if not isinstance(payload, dict):
        return 1, "url"
    n = payload.get("n", 1)
    n = n if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_N else 1
    # gpt-image models always answer base64, whatever was asked (as OpenAI does).
    gpt_image = str(payload.get("model", "")).startswith("gpt-image")
    fmt = "b64_json" if payload.get("response_format") == "b64_json" or gpt_image else "url"
    return n, fmt


class FakeProvider:
    """Starts and stops the fake server in a daemon thread of this process."""

    # The exact bodies it answers with, for byte-for-byte assertions.
    ok_body = staticmethod(ok_body)
    b64_body = staticmethod(b64_body)
    error_body = staticmethod(error_body)

    def __init__(self, port: int = 0, record: bool = True) -> None:
        self._server = _Server(("127.0.0.1", port), record=record)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def host(self, provider: str) -> str:
        """The custom host that reaches ``provider``'s fake (``tests/e2e/fakes``)."""
        return f"{self.base_url}/p/{provider}"

    def upstream(self, prefix: str = "") -> str:
        """A base URL selecting a behaviour, e.g. ``upstream("status/429")``."""
        prefix = prefix.strip("/")
        return f"{self.base_url}/{prefix}/v1" if prefix else f"{self.base_url}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._server.lock:
            return list(self._server.recorded)

    def requests_to(self, provider: str) -> list[RecordedRequest]:
        """The requests ``provider``'s fake received (under ``/p/<provider>``), oldest first."""
        return [r for r in self.requests if r.path.startswith(f"/p/{provider}")]

    @property
    def peak_waiting(self) -> int:
        """The most ``/slow`` and ``/hang`` requests held at once since :meth:`clear`."""
        with self._server.lock:
            return self._server.peak_waiting

    def clear(self) -> None:
        with self._server.lock:
            self._server.recorded.clear()
            self._server.peak_waiting = self._server.waiting

    def start(self) -> FakeProvider:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake OpenAI Images API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="do not keep requests")
    args = parser.parse_args(argv)
    return serve(_Server(("127.0.0.1", args.port), record=not args.no_record))


def serve(server: _Server) -> int:
    """Run ``server`` as a process: print ``READY <port>``, stop cleanly on SIGTERM or ^C."""
    signal.signal(signal.SIGTERM, _terminate)
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
