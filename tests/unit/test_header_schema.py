from __future__ import annotations

import pytest
from werkzeug.datastructures import Headers

from gateway.errors import AuthenticationError, InvalidRequest
from gateway.schemas.headers import parse, trace_id_or_new


def opts(**headers: str):
    return parse(Headers(headers), "openai", "t" * 32)


def test_minimal_request_defaults_provider_and_generates_a_trace_id():
    o = opts(Authorization="Bearer sk-1")
    assert (o.provider, o.api_key, o.metadata, o.timeout_ms, o.custom_host) == (
        "openai",
        "sk-1",
        {},
        None,
        None,
    )
    assert o.trace_id == "t" * 32


def test_authorization_wins_over_x_portkey_api_key():
    o = opts(Authorization="Bearer from-auth", **{"x-portkey-api-key": "from-portkey"})
    assert o.api_key == "from-auth"
    assert opts(**{"x-portkey-api-key": "from-portkey"}).api_key == "from-portkey"


def test_portkey_sdk_placeholder_bearer_yields_to_x_portkey_api_key():
    headers = {"Authorization": "Bearer OPENAI_API_KEY", "x-portkey-api-key": "sk-real-1"}
    assert opts(**headers).api_key == "sk-real-1"
    assert opts(Authorization="Bearer OPENAI_API_KEY").api_key is None


def test_provider_is_case_insensitive_and_trimmed():
    assert opts(**{"x-portkey-provider": " OpenAI "}).provider == "openai"


def test_without_a_default_provider_an_absent_header_leaves_the_provider_open():
    # GATEWAY_DEFAULT_PROVIDER=none: refused once the config is known (it may name one).
    assert parse(Headers({}), None, "t" * 32).provider is None
    given = Headers({"x-portkey-provider": "Stability-AI"})
    assert parse(given, None, "t" * 32).provider == "stability-ai"


@pytest.mark.parametrize("default", ["openai", None])
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_provider_header_is_a_400_not_the_default(default, value):
    with pytest.raises(InvalidRequest) as info:
        parse(Headers({"x-portkey-provider": value}), default, "t" * 32)
    error = info.value
    assert (error.status, error.code) == (400, "missing_provider")
    assert error.param == "x-portkey-provider"
    assert error.message == (
        "Header 'x-portkey-provider' is empty: name a provider, or leave the header out."
    )


@pytest.mark.parametrize("value", ["Basic abc", "Bearer", "Token x"])
def test_malformed_authorization_is_401(value):
    with pytest.raises(AuthenticationError):
        opts(Authorization=value)


def test_non_ascii_key_is_400_not_a_500_later():
    with pytest.raises(InvalidRequest) as info:
        opts(Authorization="Bearer sk-\u00e9\u00e9")
    assert info.value.param == "authorization"


def test_metadata_and_timeout_and_forwarding():
    o = opts(
        **{
            "x-portkey-metadata": '{"_user": "ann", "team": "ads"}',
            "x-portkey-request-timeout": "2500",
            "x-portkey-forward-headers": "X-Team, x-missing",
            "x-team": "imaging",
            "x-portkey-trace-id": "  abc  ",
        }
    )
    assert o.metadata == {"_user": "ann", "team": "ads"}
    assert o.timeout_ms == 2500
    assert o.forward_headers == (("x-team", "imaging"),)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-portkey-metadata", '{"a": {"b": "c"}}'),
        ("x-portkey-metadata", '{"a": 1}'),
        ("x-portkey-request-timeout", "-5"),
        ("x-portkey-request-timeout", "900001"),
        ("x-portkey-forward-headers", "cookie"),
        ("x-portkey-forward-headers", "x-portkey-config"),
        ("x-portkey-forward-headers", "bad header"),
        ("x-portkey-forward-headers", ",".join(f"x-h{i}" for i in range(17))),
        ("x-portkey-trace-id", "has\u00e9accent"),
    ],
)
def test_invalid_values_are_400_naming_the_header(name, value):
    with pytest.raises(InvalidRequest) as info:
        opts(**{name: value})
    assert info.value.param == name


def test_trace_id_or_new_never_raises():
    assert trace_id_or_new("ok-1") == "ok-1"
    assert len(trace_id_or_new("bad\u00e9")) == 32
    assert len(trace_id_or_new(None)) == 32


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, False),
        ({"x-portkey-cache-force-refresh": "true"}, True),
        ({"X-Portkey-Cache-Force-Refresh": "false"}, True),  # any value: present is enough
        ({"x-portkey-cache-force-refresh": ""}, True),
    ],
)
def test_cache_force_refresh_is_the_header_being_present(headers, expected):
    assert opts(**headers).cache_force_refresh is expected
