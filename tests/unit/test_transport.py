"""The transport against ``responses``: mapping of failures, limits and pinning."""

from __future__ import annotations

import pytest
import requests
import responses

from gateway.errors import (
    InvalidUpstreamResponse,
    UpstreamBroken,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.models import ProviderCall
from gateway.outbound.transport import USER_AGENT, Transport, prepare

URL = "https://api.example/v1/images/generations"


def call(url=URL, pinned=None):
    return ProviderCall("POST", url, {"Content-Type": "application/json"}, b"{}", pinned)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def test_reply_carries_status_lowercased_headers_and_bytes(mock):
    mock.post(URL, body=b'{"ok":1}', status=201, headers={"X-Thing": "1"})
    reply = Transport(1 << 20).send(call(), 1, 5)
    assert (reply.status, reply.body, reply.headers["x-thing"]) == (201, b'{"ok":1}', "1")
    assert reply.elapsed_ms >= 0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (requests.ConnectTimeout(), UpstreamUnavailable),
        (requests.ReadTimeout(), UpstreamTimeout),
        (requests.ConnectionError("reset"), UpstreamBroken),
        (requests.exceptions.SSLError(), UpstreamUnavailable),
        (requests.exceptions.ChunkedEncodingError(), UpstreamBroken),
    ],
)
def test_failures_are_mapped(mock, error, expected):
    mock.post(URL, body=error)
    with pytest.raises(expected):
        Transport(1 << 20).send(call(), 1, 5)


def test_answers_over_the_byte_limit_are_refused(mock):
    mock.post(URL, body=b"x" * 70000)
    with pytest.raises(InvalidUpstreamResponse) as info:
        Transport(65536).send(call(), 1, 5)
    assert info.value.code == "upstream_response_too_large"


def test_redirects_are_never_followed(mock):
    mock.post(URL, status=307, headers={"Location": "http://169.254.169.254/"})
    with pytest.raises(InvalidUpstreamResponse) as info:
        Transport(1 << 20).send(call(), 1, 5)
    assert info.value.code == "upstream_redirect"
    assert len(mock.calls) == 1


def test_pinned_calls_go_to_the_checked_address_with_the_original_host(mock):
    mock.post("http://93.184.216.34:8080/v1/images/generations", body=b"{}")
    Transport(1 << 20).send(
        call("http://img.example:8080/v1/images/generations", "93.184.216.34"), 1, 5
    )
    assert mock.calls[0].request.headers["Host"] == "img.example:8080"


def test_refused_connection_is_safe_to_retry():
    # Port 9 on loopback: nothing listens, the connect fails before any byte is sent.
    with pytest.raises(UpstreamUnavailable) as info:
        Transport(1 << 20).send(call("http://127.0.0.1:9/v1/images/generations"), 1, 2)
    assert info.value.response_headers()["x-should-retry"] == "true"


def test_sessions_are_per_thread_and_ignore_the_environment(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")
    transport = Transport(1 << 20)
    session = transport._session()
    assert session is transport._session()
    assert session.trust_env is False
    import threading

    other = []
    t = threading.Thread(target=lambda: other.append(transport._session()))
    t.start()
    t.join()
    assert other[0] is not session


class _Raw:
    def __init__(self, data, clock=None, step=0.0):
        self.data, self.clock, self.step = data, clock, step

    def read(self, n):
        if self.clock is not None:
            self.clock[0] += self.step
        out, self.data = self.data[:n], self.data[n:]
        return out


def test_known_length_reads_check_the_wall_clock_deadline(monkeypatch):
    from gateway.outbound import transport

    clock = [0.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: clock[0])
    response = type("R", (), {"raw": _Raw(b"x" * 34, clock, step=1.5)})()
    with pytest.raises(UpstreamTimeout):
        transport._read_known(response, 34, deadline=1.0)


def test_known_length_reads_fail_when_the_answer_ends_early():
    from gateway.outbound import transport

    response = type("R", (), {"raw": _Raw(b"xy")})()
    with pytest.raises(UpstreamBroken):
        transport._read_known(response, 5, deadline=1e12)


@pytest.mark.parametrize(
    ("url", "headers", "body"),
    [
        (URL, {"Content-Type": "application/json", "Authorization": "Bearer sk-x"}, b"{}"),
        ("https://bücher.example:8443/v1/x?q=a b&r=ü", {"user-agent": "mine"}, b"x" * 10),
        ("https://user:pa%20ss@api.example/v1/images", {}, b""),
        ("http://127.0.0.1:9/p", {"X-Many": "1", "Content-Length": "2"}, b"ab"),
    ],
)
def test_the_lean_prepare_builds_what_requests_prepare_builds(url, headers, body):
    ours = prepare(ProviderCall("POST", url, headers, body))
    theirs = requests.PreparedRequest()
    theirs.prepare(method="POST", url=url, headers={"User-Agent": USER_AGENT, **headers}, data=body)
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    assert list(ours.headers.items()) == list(theirs.headers.items())


def test_the_lean_prepare_still_refuses_an_invalid_header():
    with pytest.raises(requests.exceptions.InvalidHeader):
        prepare(ProviderCall("POST", URL, {"X-Bad": "a\r\nb"}, b""))
