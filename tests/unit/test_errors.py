from __future__ import annotations

import json

from gateway.errors import (
    GatewayError,
    InvalidRequest,
    Overloaded,
    ProviderError,
    RequestTimeout,
    UpstreamUnavailable,
    http_error,
)


def test_body_is_openai_shaped_and_provider_goes_inside_error():
    err = ProviderError(
        "openai error: x",
        status=429,
        code="rate_limit_exceeded",
        provider="openai",
        headers={"retry-after": "1"},
    )
    assert json.loads(err.to_json()) == {
        "error": {
            "message": "openai error: x",
            "type": "upstream_error",
            "param": None,
            "code": "rate_limit_exceeded",
            "provider": "openai",
        }
    }
    assert err.status == 429
    assert err.response_headers() == {"retry-after": "1", "x-should-retry": "false"}


def test_classes_carry_status_type_and_retry_advice():
    assert (InvalidRequest("m").status, InvalidRequest("m").type) == (400, "invalid_request_error")
    assert RequestTimeout("m").status == 408
    assert RequestTimeout("m").type == "timeout_error"
    assert UpstreamUnavailable("m").response_headers() == {"x-should-retry": "true"}
    assert GatewayError("m").response_headers() == {}


def test_http_errors():
    assert http_error(404, "nope").to_body()["error"]["code"] == "not_found"
    assert http_error(503, "x").type == "server_error"
    assert http_error(418, "x").code == "http_418"


def test_overloaded_is_a_retryable_503_with_retry_after():
    err = Overloaded(1000)
    assert err.status == 503
    assert err.to_body() == {
        "error": {
            "message": "The gateway is serving its maximum of 1000 image calls; retry shortly.",
            "type": "server_error",
            "param": None,
            "code": "gateway_overloaded",
        }
    }
    assert err.response_headers() == {"Retry-After": "1", "x-should-retry": "true"}
