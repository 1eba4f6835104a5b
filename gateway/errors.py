"""One exception tree and one error body for every non-2xx the gateway makes.

The body is OpenAI's: ``{"error": {"message", "type", "param", "code"}}`` so that
the OpenAI and portkey-ai SDKs fill ``e.code``, ``e.param`` and ``e.type``.
Extension keys (``provider``) live *inside* ``error``; SDKs ignore them.
Messages are built from templates and never carry a secret or the prompt.
"""

from __future__ import annotations

import json
from typing import Any


class GatewayError(Exception):
    """Root of every error the gateway answers with; carries its HTTP status."""

    status = 500
    type = "server_error"
    code = "internal_error"
    # Whether a client-side retry is safe (None: say nothing). The OpenAI SDK obeys
    # ``x-should-retry`` above all else, and a retry may buy a second billed image.
    should_retry: bool | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
        type: str | None = None,
        provider: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.provider = provider
        self.headers = dict(headers or {})

    def to_body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": self.code,
        }
        if self.provider is not None:
            error["provider"] = self.provider
        return {"error": error}

    def to_json(self) -> bytes:
        return json.dumps(self.to_body(), separators=(",", ":")).encode()

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.should_retry is not None:
            headers.setdefault("x-should-retry", "true" if self.should_retry else "false")
        return headers


class InvalidRequest(GatewayError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_value"
    should_retry = False


class InvalidJSON(InvalidRequest):
    code = "invalid_json"


class UnknownProvider(InvalidRequest):
    code = "unknown_provider"


class CustomHostRejected(InvalidRequest):
    code = "custom_host_not_allowed"


class UnsupportedMediaType(InvalidRequest):
    status = 415
    code = "unsupported_media_type"


class InvalidImage(InvalidRequest):
    """Not a PNG, JPEG or WEBP by its bytes, or a truncated or corrupt one (found by the
    upload checks, or by a provider transform that decodes the pixels)."""

    code = "invalid_image"


class UnsupportedContentType(InvalidRequest):
    """An upload route's body that is not a form: a 400 with OpenAI's own code for it,
    as its /images/edits and /images/variations answer (the JSON route keeps 415)."""

    code = "unsupported_content_type"


class AuthenticationError(GatewayError):
    status = 401
    type = "authentication_error"
    code = "missing_api_key"
    should_retry = False


class VirtualKeyNotFound(GatewayError):
    """Unknown, or not allowed for the caller's team: one answer, so names cannot be probed."""

    status = 404
    type = "invalid_request_error"
    code = "virtual_key_not_found"
    should_retry = False


class VirtualKeyDisabled(GatewayError):
    """Raised only once the caller's team is allowed to use the key."""

    status = 403
    type = "permission_error"
    code = "virtual_key_disabled"
    should_retry = False


class ConfigNotFound(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "config_not_found"
    should_retry = False


class SecretUnreadable(GatewayError):
    """A stored provider secret does not decrypt (wrong master key, or moved between rows)."""

    status = 500
    type = "server_error"
    code = "secret_unreadable"
    should_retry = False


class ProviderError(GatewayError):
    """The provider answered with an error; its status is kept."""

    type = "upstream_error"
    code = "upstream_error"
    should_retry = False
    # An exhausted quota or credit balance: no wait brings it back, so the target is
    # never retried (fallback still moves on).
    quota_exhausted = False


class RequestTimeout(GatewayError):
    """``x-portkey-request-timeout`` expired: Portkey answers 408 ``timeout_error``."""

    status = 408
    type = "timeout_error"
    code = "request_timeout"
    # The provider may have generated (and billed) the image already.
    should_retry = False


class UpstreamTimeout(GatewayError):
    status = 504
    type = "timeout_error"
    code = "upstream_timeout"
    should_retry = False


class UpstreamUnavailable(GatewayError):
    """Nothing reached the provider (DNS, refused, connect timeout): safe to retry."""

    status = 502
    type = "upstream_error"
    code = "upstream_connect_error"
    should_retry = True


class UpstreamBroken(GatewayError):
    """The connection failed after the request was sent: outcome unknown."""

    status = 502
    type = "upstream_error"
    code = "upstream_connection_lost"
    should_retry = False


class InvalidUpstreamResponse(GatewayError):
    status = 502
    type = "upstream_error"
    code = "upstream_invalid_response"
    should_retry = False


class Overloaded(GatewayError):
    """The instance already serves ``GATEWAY_MAX_IN_FLIGHT`` image calls (``gateway.admission``).

    Refused before the body is read, so nothing reached a provider: a retry is safe. One
    second is the shortest ``Retry-After`` there is, and image calls last 5 to 60 s, so
    with any capacity worth having places free up every second; a longer wait would
    leave them idle. The OpenAI SDK waits exactly this long (it honours up to 60 s).
    """

    status = 503
    type = "server_error"  # OpenAI's own "engine is currently overloaded" 503
    code = "gateway_overloaded"
    should_retry = True
    retry_after = 1

    def __init__(self, capacity: int) -> None:
        super().__init__(
            f"The gateway is serving its maximum of {capacity} image calls; retry shortly.",
            headers={"Retry-After": str(self.retry_after)},
        )


class StoreUnavailable(GatewayError):
    """The store (PostgreSQL, or a SQLite file locked past its busy timeout) did not
    answer. Its transaction was rolled back: nothing is half-written. Said without the
    driver's text, which can name the server or quote the URL."""

    status = 503
    type = "server_error"
    code = "store_unavailable"
    retry_after = 5

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "The gateway's database does not answer; retry shortly.",
            headers={"Retry-After": str(self.retry_after)},
        )


class LimitExceeded(GatewayError):
    """A gateway API key's rate limit or budget (``gateway.limits``).

    ``code`` names the limit (``rate_limit_rpm``, ``rate_limit_ipm``, ``budget_daily``,
    ``budget_monthly``); ``Retry-After`` is the seconds until its window resets. A
    minute window resets soon (retry); a budget is an operator's decision (do not).
    """

    status = 429
    type = "rate_limit_exceeded"
    code = "rate_limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        retry_after: int,
        should_retry: bool,
        param: str | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
        self.should_retry = should_retry


def http_error(status: int, message: str) -> GatewayError:
    """Werkzeug's own HTTP errors (404, 405, 413, ...) in our shape."""
    codes = {
        400: "bad_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        415: "unsupported_media_type",
        431: "headers_too_large",
    }
    kind = "invalid_request_error" if 400 <= status < 500 else "server_error"
    return GatewayError(message, status=status, type=kind, code=codes.get(status, f"http_{status}"))
