"""Authentication that needs the clock or the network: AWS SigV4 and Google OAuth tokens.

Providers stay pure by describing the signing they need (``ProviderCall.signing``);
this module performs it just before the transport sends the call. SigV4 comes from
botocore (AWS's own implementation) and service-account tokens from google-auth:
both are security-critical code we should not write ourselves. Both libraries are
imported on first use, so a gateway that never signs a call nor fetches a token
does not pay their import time. Which provider and option a service account came
from travels with it (``GoogleServiceAccount``): no provider is named here.

A service-account JSON names its own ``token_uri``; a caller could point it
anywhere, so only Google's token endpoint (or an allowlisted custom host, for
tests and private deployments) is ever called, through our own transport. The
pre-flight (``preflight``) checks each account with ``check_account``
before the first call of a request, and hands the result to ``Signer.checked``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import (
    AuthenticationError,
    GatewayError,
    InvalidRequest,
    InvalidUpstreamResponse,
    UpstreamUnavailable,
)
from ..models import AwsSigning, GoogleServiceAccount, ProviderCall, StreamedBody
from . import custom_hosts
from .transport import Transport

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
# google-auth retries these statuses itself, sleeping 1 s then 2 s in the request
# thread; the gateway answers at once instead and lets routing decide.
_TOKEN_RETRY_STATUSES = frozenset({408, 429, 500, 503, 504})
# Refresh a cached token this long before Google says it expires.
_TOKEN_MARGIN_S = 300
_MAX_TOKENS = 256


@dataclasses.dataclass(frozen=True)
class CheckedAccount:
    """A service-account key that can sign its token requests, and where they go."""

    credentials: Any = dataclasses.field(repr=False)  # google-auth's service_account.Credentials
    pinned_ip: str | None  # the token_uri's checked address; None: Google's own endpoint


def check_account(
    text: str, allowed_hosts: tuple[str, ...], resolve: custom_hosts.Resolver, option: str
) -> CheckedAccount:
    """Parse and check a service-account JSON without calling anyone; 400 (param
    ``option``, the option that carries it) when it could not get a token."""
    from google.oauth2 import service_account

    info = _service_account_info(text, option)
    uri = info.get("token_uri", GOOGLE_TOKEN_URI)
    pinned = _check_token_uri(uri, allowed_hosts, resolve, option)
    try:
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=[GoogleServiceAccount.scope]
        )
    except (ValueError, KeyError, TypeError):
        raise _bad_account("it is not a valid service-account key", option) from None
    try:
        credentials.signer.sign(b"check")  # an EC key loads, and fails only to sign
    except (ValueError, TypeError):
        raise _bad_account("its private key is not a usable RSA key", option) from None
    return CheckedAccount(credentials, pinned)


class _Fetch:
    """One token request in flight: callers for the same account wait for its answer."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: str | None = None
        self.error: GatewayError | None = None

    def wait(self, limit: float, provider: str) -> str:
        """The token, or the fetch's own failure: not retried, as google-auth's own
        retries are not (routing decides)."""
        if not self.done.wait(limit):
            raise UpstreamUnavailable(
                "Google's token endpoint did not answer in time.", provider=provider
            )
        if self.token is not None:
            return self.token
        if self.error is None:  # the fetch broke on a bug: its own caller sees it
            raise UpstreamUnavailable("The token request failed.", provider=provider)
        raise copy.copy(self.error)  # each caller gets its own (routing sets fields on it)


class Signer:
    """Applies ``call.signing``; holds this process's cache of Google tokens."""

    def __init__(
        self,
        transport: Transport,
        allowed_hosts: tuple[str, ...] = (),
        resolve_host: custom_hosts.Resolver = custom_hosts.system_resolver,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.allowed_hosts = allowed_hosts
        self.resolve_host = resolve_host
        self.clock = clock
        # Service-account JSON -> its check by this request's pre-flight (``checked``).
        self.accounts: Mapping[str, CheckedAccount] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._fetches: dict[str, _Fetch] = {}
        self._lock = threading.Lock()

    def checked(self, accounts: Mapping[str, CheckedAccount]) -> Signer:
        """This signer for one request, using the accounts its pre-flight checked and
        pinned as they are; the token cache and its fetches stay shared."""
        scoped = copy.copy(self)
        scoped.accounts = accounts
        return scoped

    def apply(self, call: ProviderCall, connect_timeout: float, timeout: float) -> ProviderCall:
        signing = call.signing
        if signing is None:
            return call
        if isinstance(signing, AwsSigning):
            return sign_aws(call, signing)
        token = self.google_token(signing, connect_timeout, timeout)
        headers = {**call.headers, "Authorization": f"Bearer {token}"}
        return dataclasses.replace(call, headers=headers, signing=None)

    def google_token(
        self, account: GoogleServiceAccount, connect_timeout: float, timeout: float
    ) -> str:
        """The cached token, else one fetch per account: concurrent callers (a fan-out's
        calls) wait for it, at most as long as their own fetch could take."""
        key = hashlib.sha256(f"{account.scope}\0{account.info}".encode()).hexdigest()
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[1] - _TOKEN_MARGIN_S > self.clock():
                return cached[0]
            fetch = self._fetches.get(key)
            leader = fetch is None
            if fetch is None:
                fetch = self._fetches[key] = _Fetch()
        if not leader:
            return fetch.wait(connect_timeout + timeout, account.provider)
        try:
            token, expires_at = self._fetch_token(account, connect_timeout, timeout)
            with self._lock:
                if len(self._tokens) >= _MAX_TOKENS:
                    self._tokens.clear()
                self._tokens[key] = (token, expires_at)
            fetch.token = token
            return token
        except GatewayError as exc:
            fetch.error = exc
            raise
        finally:
            with self._lock:
                del self._fetches[key]
            fetch.done.set()

    def _fetch_token(
        self, account: GoogleServiceAccount, connect_timeout: float, timeout: float
    ) -> tuple[str, float]:
        from google.auth import exceptions as google_errors

        checked = self.accounts.get(account.info) or check_account(
            account.info, self.allowed_hosts, self.resolve_host, account.option
        )
        # A copy per fetch (same key, no re-parse): google-auth credentials are mutable.
        credentials = checked.credentials.with_scopes([account.scope])
        request = _GoogleRequest(self.transport, checked.pinned_ip, connect_timeout, timeout)
        try:
            credentials.refresh(request)
        except google_errors.RefreshError:
            raise AuthenticationError(
                "Google refused the service account's token request.",
                param=account.option,
                code="service_account_rejected",
                provider=account.provider,
                status=401,
            ) from None
        except google_errors.TransportError:
            raise UpstreamUnavailable(
                "Google's token endpoint could not be reached.", provider=account.provider
            ) from None
        except (ValueError, TypeError, KeyError):
            # A 200 that is not a token answer (not JSON, a bad expires_in): google-auth
            # does not wrap those.
            raise InvalidUpstreamResponse(
                "Google's token endpoint answered without a usable access token.",
                provider=account.provider,
            ) from None
        return str(credentials.token), self._expires_at(credentials.expiry)

    def _expires_at(self, expiry: datetime.datetime | None) -> float:
        """Our clock's time for google-auth's expiry, a naive UTC datetime.

        ``expiry.timestamp()`` would read it as local time: hours off outside UTC.
        """
        if expiry is None:
            return self.clock() + 600
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=datetime.UTC)
        remaining = (expiry - datetime.datetime.now(datetime.UTC)).total_seconds()
        return self.clock() + remaining


def _check_token_uri(
    uri: object, allowed_hosts: tuple[str, ...], resolve: custom_hosts.Resolver, option: str
) -> str | None:
    if uri == GOOGLE_TOKEN_URI:
        return None
    if not isinstance(uri, str):
        raise _bad_account("its token_uri is not a URL", option)
    try:
        _, pinned = custom_hosts.check(uri, allowed_hosts, resolve)
    except GatewayError:
        raise _bad_account(
            "its token_uri is not Google's token endpoint nor an allowed custom host", option
        ) from None
    return pinned


def _bad_account(why: str, option: str) -> InvalidRequest:
    return InvalidRequest(f"{option} is not usable: {why}.", param=option)


def _service_account_info(raw: str, option: str) -> dict[str, Any]:
    try:
        info = json.loads(raw)
    except ValueError:
        raise _bad_account("it is not JSON", option) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise _bad_account("it is not a service-account key", option)
    return info


class _GoogleResponse:
    def __init__(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.status = status
        self.headers = headers
        self.data = data


class _GoogleRequest:
    """google-auth's transport interface on top of ours: bounded, pinned, no redirects."""

    def __init__(
        self, transport: Transport, pinned: str | None, connect_timeout: float, timeout: float
    ) -> None:
        self.transport = transport
        self.pinned = pinned
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.calls = 0

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _GoogleResponse:
        from google.auth import exceptions as google_errors

        self.calls += 1
        if self.calls > 1:  # google-auth retrying after a backoff sleep: one try only
            raise google_errors.TransportError("the token request is not retried")
        data = body.encode() if isinstance(body, str) else (body or b"")
        call = ProviderCall(method, url, dict(headers or {}), data, self.pinned)
        try:
            reply = self.transport.send(call, self.connect_timeout, self.timeout)
        except GatewayError as exc:
            raise google_errors.TransportError(exc.message) from None
        if reply.status in _TOKEN_RETRY_STATUSES:
            raise google_errors.TransportError(f"the token endpoint answered {reply.status}")
        return _GoogleResponse(reply.status, reply.headers, reply.body)


def sign_aws(call: ProviderCall, signing: AwsSigning) -> ProviderCall:
    """SigV4 headers for ``call`` (Authorization, X-Amz-Date, X-Amz-Security-Token)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials(
        signing.access_key_id, signing.secret_access_key, signing.session_token
    )
    # SigV4 hashes the payload: a streamed body is read into memory (Bedrock's are JSON).
    body = call.body.to_bytes() if isinstance(call.body, StreamedBody) else call.body
    request = AWSRequest(method=call.method, url=call.url, data=body, headers=call.headers)
    SigV4Auth(credentials, signing.service, signing.region).add_auth(request)
    headers = dict(request.headers.items())
    return dataclasses.replace(call, headers=headers, body=body, signing=None)
