"""The only module that talks HTTP to providers: ``send`` and ``close``.

One pooled ``requests.Session`` per worker thread, created lazily (after
gunicorn forks, so no socket is shared between processes). No urllib3 retries:
retries belong to routing, which knows whether the provider may already have
started (and billed) the work. No redirects, no cookies, no proxy variables
from the environment. Reads are bounded in bytes and in wall-clock time,
because requests' own read timeout is per socket read, not per answer.
"""

from __future__ import annotations

import functools
import http.cookiejar
import os
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_auth_from_url
from urllib3.exceptions import (
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from ..errors import (
    InvalidRequest,
    InvalidUpstreamResponse,
    UpstreamBroken,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ..models import ProviderCall, ProviderReply, StreamedBody
from .body_reader import BodyReader

CHUNK = 256 * 1024
_DIGITS = re.compile(r"[0-9]{1,12}")
# A raw read raises urllib3's own errors, not requests' wrappers.
_READ_TIMEOUTS = (requests.Timeout, ReadTimeoutError)
_READ_BROKEN = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ProtocolError,
)
USER_AGENT = "image-gateway/0.1"
_SNI_ATTR = "_gateway_server_hostname"


class _PinningAdapter(HTTPAdapter):
    """Connects to a pinned IP while TLS still checks the certificate for the host name."""

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        hostname = getattr(request, _SNI_ATTR, None)
        if hostname is None:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": hostname, "assert_hostname": hostname}
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def _new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # HTTP(S)_PROXY and .netrc must not decide where keys go
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers.clear()
    adapter = _PinningAdapter(pool_connections=8, pool_maxsize=4, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Transport:
    """Holds one session per thread of this process."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None or self._local.pid != os.getpid():
            session = _new_session()
            self._local.session, self._local.pid = session, os.getpid()
        return session

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    def send(self, call: ProviderCall, connect_timeout: float, timeout: float) -> ProviderReply:
        """Make ``call`` within ``timeout`` seconds of wall-clock time; map failures."""
        session = self._session()
        # Prepared directly and sent through the session's adapter: Session.send would
        # merge environment settings, run hooks and walk redirects we never follow,
        # which costs more CPU than the whole rest of the gateway's own logic.
        started = time.monotonic()
        deadline = started + timeout
        reader = BodyReader(call.body) if isinstance(call.body, StreamedBody) else None
        try:
            prepared = prepare(call, reader)
            if call.pinned_ip:
                _pin(prepared, call.pinned_ip)
            response = session.get_adapter(prepared.url).send(
                prepared, stream=True, timeout=(min(connect_timeout, timeout), timeout)
            )
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise _unavailable(exc) from None
        except requests.Timeout:
            raise UpstreamTimeout("The provider did not answer in time.") from None
        except requests.ConnectionError as exc:
            if _before_send(exc):
                raise _unavailable(exc) from None
            raise UpstreamBroken("The connection to the provider was lost.") from None
        except (requests.exceptions.InvalidHeader, UnicodeError, ValueError):
            raise InvalidRequest("A header value cannot be sent upstream.") from None
        except requests.RequestException:
            raise UpstreamBroken("The call to the provider failed.") from None
        finally:
            if reader is not None:  # a send that failed midway leaves a file open
                reader.close()
        try:
            body = self._read(response, deadline)
        finally:
            response.close()
        headers = {k.lower(): v for k, v in response.headers.items()}
        reply = ProviderReply(
            response.status_code, headers, body, (time.monotonic() - started) * 1000
        )
        if 300 <= reply.status < 400:
            raise InvalidUpstreamResponse(
                f"The provider answered with a redirect (HTTP {reply.status}); "
                "redirects are never followed.",
                code="upstream_redirect",
            )
        return reply

    def _read(self, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "").strip()
        length = int(declared) if _DIGITS.fullmatch(declared) else None
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if length is not None and length > self.max_bytes:
            raise _too_large(self.max_bytes)
        try:
            if length is not None and not encoded:
                body = _read_known(response, length, deadline)
            else:
                body = self._read_chunks(response, deadline)
        except _READ_TIMEOUTS:
            raise UpstreamTimeout("The provider did not finish its answer in time.") from None
        except _READ_BROKEN:
            raise UpstreamBroken("The connection to the provider was lost mid-answer.") from None
        if time.monotonic() > deadline:
            raise UpstreamTimeout("The provider did not finish its answer in time.")
        return body

    def _read_chunks(self, response: requests.Response, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        # Decoded chunks: a gzip bomb is counted after expansion.
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise _too_large(self.max_bytes)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise UpstreamTimeout("The provider did not finish its answer in time.")
        return b"".join(chunks)


@functools.lru_cache(maxsize=256)
def _prepared_url(url: str) -> tuple[str, bool]:
    """``url`` as requests sends it (IDNA host, quoting), and whether it holds a
    ``user:password@`` (requests then adds basic auth): worked out once per URL."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.url, any(get_auth_from_url(prepared.url))


def prepare(call: ProviderCall, reader: BodyReader | None = None) -> requests.PreparedRequest:
    """What ``PreparedRequest.prepare`` builds, by the steps that apply: the URL once per
    URL, no cookies (none are kept), no hooks (none run), no auth unless the URL has
    one. The headers are still checked (an invalid one raises) and Content-Length set.
    ``reader`` is sent in place of a streamed body (its length is the Content-Length)."""
    headers = {"User-Agent": USER_AGENT, **call.headers}
    url, has_auth = _prepared_url(call.url)
    data: Any = reader if reader is not None else call.body
    if isinstance(data, StreamedBody):
        data = data.to_bytes()  # no reader given (tests): the same bytes at once
    prepared = requests.PreparedRequest()
    if has_auth:
        prepared.prepare(method=call.method, url=call.url, headers=headers, data=data)
        return prepared
    prepared.prepare_method(call.method)
    prepared.url = url
    prepared.prepare_headers(headers)
    prepared.prepare_body(data, None)
    return prepared


def _read_known(response: requests.Response, length: int, deadline: float) -> bytes:
    """One read of a known, bounded size: reading in pieces through urllib3 cost 4x the
    CPU on a 1.5 MB answer (measured: 1.2 vs 4.6 ms). Each socket read is bounded by the
    read timeout; the attempt's wall-clock limit is checked once the answer is in."""
    body = response.raw.read(length)
    if len(body) != length:
        raise UpstreamBroken("The provider's answer ended early.")
    if time.monotonic() > deadline:
        raise UpstreamTimeout("The provider did not finish its answer in time.")
    return body


def _pin(prepared: requests.PreparedRequest, ip: str) -> None:
    parts = urlsplit(prepared.url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = (f"[{ip}]" if ":" in ip else ip) + port
    prepared.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    prepared.headers["Host"] = (f"[{host}]" if ":" in host else host) + port
    setattr(prepared, _SNI_ATTR, host)


def _before_send(exc: requests.ConnectionError) -> bool:
    """True when the failure happened while connecting: nothing reached the provider."""
    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, NewConnectionError | NameResolutionError)


def _unavailable(exc: Exception) -> UpstreamUnavailable:
    if isinstance(exc, requests.ConnectTimeout):
        return UpstreamUnavailable(
            "The provider timed out while connecting.", code="upstream_connect_timeout"
        )
    ssl = isinstance(exc, requests.exceptions.SSLError)
    kind = "failed the TLS handshake" if ssl else "could not be reached"
    return UpstreamUnavailable(f"The provider {kind}.")


def _too_large(limit: int) -> InvalidUpstreamResponse:
    return InvalidUpstreamResponse(
        f"The provider's answer exceeds the gateway's limit of {limit} bytes.",
        code="upstream_response_too_large",
    )
