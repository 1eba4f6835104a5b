"""nginx carries many slow generations at once, and passes the gateway's overload 503 through.

nginx runs the shipped ``deploy/nginx.conf`` (see ``test_nginx.py``) with the main-context
settings ``deploy/README.md`` recommends, scaled to the test: ``worker_connections`` at four
per call the gateway admits, ``worker_rlimit_nofile`` at twice that.
"""

from __future__ import annotations

import http.client
import json
import resource
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

if __package__:
    from .conftest import poll
    from .fake_provider import ok_body
    from .test_nginx import BODY, BYOK, IMAGES, Nginx, _port, start_nginx
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import poll
    from fake_provider import ok_body
    from test_nginx import BODY, BYOK, IMAGES, Nginx, _port, start_nginx

pytestmark = pytest.mark.e2e
__all__ = ["start_nginx"]  # the fixture, imported for this module's tests

CALLS = 200  # slow calls held through nginx at once
CAPACITY = 250  # GATEWAY_MAX_IN_FLIGHT: above CALLS, so admission refuses none
SLOW_MS = 5000  # each call's upstream time: every call is sent long before the first ends
WORKER_CONNECTIONS = 4 * CAPACITY  # deploy/README.md: 4 x GATEWAY_MAX_IN_FLIGHT
# This process holds CALLS client sockets and the fake's CALLS server sockets; gunicorn
# (2 x CALLS) and nginx (worker_rlimit_nofile) inherit the soft limit raised here.
NOFILE = 4096
NOFILE_MIN = 4 * CALLS + 256
ANSWER_TIMEOUT = 60.0  # per socket read: bounded, far above SLOW_MS
# Log lines that mean nginx ran out of something while carrying the calls.
NGINX_SHORTAGES = ("worker_connections are not enough", "Too many open files", "[alert]")


@pytest.fixture(scope="module", autouse=True)
def _nofile() -> Iterator[None]:
    """Raise this process's soft RLIMIT_NOFILE (its children inherit it); restore it after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
    if ceiling < NOFILE_MIN:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {NOFILE_MIN} ({CALLS} calls need it)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, ceiling), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _send(stack: ExitStack, nginx: Nginx, trace: str) -> http.client.HTTPConnection:
    """Send one generation through nginx on its own connection, without reading the answer;
    ``stack`` closes the connection."""
    conn = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=ANSWER_TIMEOUT)
    stack.callback(conn.close)
    conn.request(
        "POST",
        IMAGES,
        body=json.dumps(BODY),
        headers={**BYOK, "Content-Type": "application/json", "x-portkey-trace-id": trace},
    )
    return conn


def _answer(conn: http.client.HTTPConnection) -> tuple[int, http.client.HTTPMessage, bytes]:
    response = conn.getresponse()
    return response.status, response.msg, response.read()


def test_nginx_carries_200_slow_generations_at_once(
    start_gateway: Callable[..., Any],
    start_nginx: Callable[..., Nginx],
    fake_provider: Any,
) -> None:
    gateway = start_gateway(
        GATEWAY_TRUSTED_PROXIES="1",
        GATEWAY_MAX_IN_FLIGHT=str(CAPACITY),
        GATEWAY_THREADS=None,  # the default: GATEWAY_MAX_IN_FLIGHT threads per worker
        GATEWAY_OPENAI_BASE_URL=fake_provider.upstream(f"slow/{SLOW_MS}"),
    )
    nginx = start_nginx(_port(gateway), WORKER_CONNECTIONS)

    with ExitStack() as stack:
        conns = [_send(stack, nginx, f"many-{i}") for i in range(CALLS)]
        answers = [_answer(conn) for conn in conns]

    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * CALLS, {s: statuses.count(s) for s in set(statuses)}
    assert all(body == ok_body(1, "url") for _, _, body in answers)
    # Every call reached the provider, and all of them were held there at the same time.
    assert len(fake_provider.requests) == CALLS
    assert fake_provider.peak_waiting == CALLS
    # nginx itself logged no error status and ran short of nothing.
    logged = poll(lambda: len(_access_statuses(nginx)) >= CALLS, 5) and _access_statuses(nginx)
    assert logged == ["200"] * CALLS
    log = nginx.logs().splitlines()
    assert [line for line in log if any(s in line for s in NGINX_SHORTAGES)] == []


def _access_statuses(nginx: Nginx) -> list[str]:
    """The status of every POST in nginx's access log."""
    text = nginx.access_log.read_text() if nginx.access_log.exists() else ""
    return [line.split('" ', 1)[1].split()[0] for line in text.splitlines() if '"POST ' in line]


def test_gateway_overloaded_503_passes_through_nginx_unchanged(
    start_gateway: Callable[..., Any],
    start_nginx: Callable[..., Nginx],
    fake_provider: Any,
) -> None:
    gateway = start_gateway(
        GATEWAY_TRUSTED_PROXIES="1",
        GATEWAY_MAX_IN_FLIGHT="1",
        GATEWAY_OPENAI_BASE_URL=fake_provider.upstream(f"slow/{SLOW_MS}"),
    )
    nginx = start_nginx(_port(gateway))

    with ExitStack() as stack:
        held = _send(stack, nginx, "held")
        assert poll(lambda: fake_provider.requests, 10), "the first call never reached the fake"
        status, headers, body = _answer(_send(stack, nginx, "refused"))
        held_status, _, held_body = _answer(held)

    assert status == 503
    assert json.loads(body) == {
        "error": {
            "message": "The gateway is serving its maximum of 1 image calls; retry shortly.",
            "type": "server_error",
            "param": None,
            "code": "gateway_overloaded",
        }
    }
    # The gateway's own headers, once each: not nginx's error page (Retry-After: 5, no-store).
    assert headers.get_all("Retry-After") == ["1"]
    assert headers.get_all("x-should-retry") == ["true"]
    assert headers.get_all("Cache-Control") is None
    assert headers["Content-Type"] == "application/json"
    assert (held_status, held_body) == (200, ok_body(1, "url"))
    assert len(fake_provider.requests) == 1  # the refused call never reached the provider
