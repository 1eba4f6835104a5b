"""The OpenAI and portkey-ai Python SDKs, unmodified, against the gateway under gunicorn."""

from __future__ import annotations

import json

import httpx
import openai
import portkey_ai
import pytest

# portkey-ai raises the exception classes of the OpenAI SDK copy it vendors.
from portkey_ai._vendor import openai as portkey_openai

IMAGES = "/v1/images/generations"
OPENAI_KEY = "sk-test-openai-sdk-0123456789abcdefABCDEF"
PORTKEY_KEY = "sk-test-portkey-sdk-0123456789abcdefABCDEF"
# What requests itself adds to the upstream call; anything else must come from us.
UPSTREAM_HEADERS = {
    "host",
    "user-agent",
    "accept-encoding",
    "accept",
    "connection",
    "content-length",
    "content-type",
    "authorization",
}


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    """One gateway for the module; the admin allowlists the fake for custom hosts."""
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def openai_client(gateway, **headers):
    return openai.OpenAI(
        api_key=OPENAI_KEY,
        base_url=gateway.base_url + "/v1",
        max_retries=0,
        default_headers=headers or None,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )


def portkey_client(base_url, **options):
    return portkey_ai.Portkey(
        base_url=base_url,
        provider="openai",
        Authorization=f"Bearer {PORTKEY_KEY}",
        http_client=httpx.Client(trust_env=False),
        **options,
    )


def upstream_call(fake):
    [call] = fake.requests
    assert (call.method, call.path) == ("POST", IMAGES)
    assert set(call.headers) <= UPSTREAM_HEADERS, call.headers
    return call


def test_openai_sdk_generates_through_gateway(gateway, fake_provider):
    with openai_client(gateway) as client:
        result = client.images.generate(model="dall-e-3", prompt="a red fox", size="1024x1024")

    assert [(d.url, d.revised_prompt) for d in result.data] == [
        ("https://images.example/fake-0.png", "A fake revised prompt.")
    ]
    assert result.created == 1700000000
    call = upstream_call(fake_provider)
    assert call.json() == {"model": "dall-e-3", "prompt": "a red fox", "size": "1024x1024"}
    assert call.headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_openai_sdk_b64_json_answer(gateway, fake_provider):
    with openai_client(gateway) as client:
        result = client.images.generate(
            model="dall-e-2", prompt="a cat", n=2, response_format="b64_json"
        )

    expected = json.loads(fake_provider.ok_body(2, "b64_json"))["data"]
    assert [d.b64_json for d in result.data] == [item["b64_json"] for item in expected]


def test_openai_sdk_raw_response_carries_gateway_headers(gateway):
    with openai_client(gateway, **{"x-portkey-trace-id": "sdk-trace-1"}) as client:
        raw = client.images.with_raw_response.generate(model="dall-e-3", prompt="a red fox")

    assert raw.headers["x-portkey-trace-id"] == "sdk-trace-1"
    assert raw.headers["x-portkey-provider"] == "openai"
    assert raw.request_id == raw.headers["x-request-id"]
    assert raw.parse().data[0].url == "https://images.example/fake-0.png"


def test_openai_sdk_sees_upstream_429_as_rate_limit_error(gateway, fake_provider):
    host = {"x-portkey-custom-host": fake_provider.upstream("status/429")}

    with openai_client(gateway, **host) as client, pytest.raises(openai.RateLimitError) as caught:
        client.images.generate(model="dall-e-3", prompt="a red fox")

    error = caught.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    assert error.body["provider"] == "openai"
    assert error.body["message"].startswith("openai error: Rate limit exceeded")
    assert error.response.headers["retry-after"] == "1"
    assert error.request_id == error.response.headers["x-request-id"]
    assert len(fake_provider.requests) == 1  # max_retries=0 and x-should-retry say: once


def test_openai_sdk_sees_validation_error_as_bad_request(gateway, fake_provider):
    with openai_client(gateway) as client, pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="dall-e-3", prompt="a red fox", size="256x256")

    error = caught.value
    assert error.param == "size"
    assert error.type == "invalid_request_error"
    assert "1024x1024, 1792x1024, 1024x1792" in error.body["message"]
    assert fake_provider.requests == []


def test_openai_sdk_sees_request_timeout_as_408(gateway, fake_provider):
    headers = {
        "x-portkey-custom-host": fake_provider.upstream("slow/2000"),
        "x-portkey-request-timeout": "300",
    }

    with (
        openai_client(gateway, **headers) as client,
        pytest.raises(openai.APIStatusError) as caught,
    ):
        client.images.generate(model="dall-e-3", prompt="a red fox")

    assert caught.value.status_code == 408
    assert caught.value.type == "timeout_error"


def test_portkey_sdk_sends_provider_and_bearer_key(fake_provider):
    """What the SDK itself puts on the wire (pointed at the fake directly)."""
    with portkey_client(fake_provider.upstream(), trace_id="pk-trace") as client:
        client.images.generate(model="dall-e-3", prompt="a red fox")

    [sent] = fake_provider.requests
    assert sent.headers["authorization"] == f"Bearer {PORTKEY_KEY}"
    assert sent.headers["x-portkey-provider"] == "openai"
    assert sent.headers["x-portkey-trace-id"] == "pk-trace"
    assert sent.headers["x-portkey-api-key"] == ""


def test_portkey_sdk_generates_through_gateway(gateway, fake_provider):
    options = {"trace_id": "pk-trace-gw", "metadata": {"_user": "bob"}}
    with portkey_client(gateway.base_url + "/v1", **options) as client:
        result = client.images.generate(model="dall-e-3", prompt="a red fox", size="1024x1024")

    assert [d.url for d in result.data] == ["https://images.example/fake-0.png"]
    call = upstream_call(fake_provider)
    assert call.json() == {"model": "dall-e-3", "prompt": "a red fox", "size": "1024x1024"}
    assert call.headers["authorization"] == f"Bearer {PORTKEY_KEY}"
    [row] = gateway.log_rows("pk-trace-gw")
    assert (row["status"], row["provider"], row["model"]) == (200, "openai", "dall-e-3")
    assert json.loads(row["metadata"]) == {"_user": "bob"}


def test_portkey_sdk_with_the_provider_key_as_api_key(gateway, fake_provider):
    # Without Authorization=..., the SDK sends "Bearer OPENAI_API_KEY" (a placeholder)
    # and the real key in x-portkey-api-key; the gateway must use the real one.
    client = portkey_ai.Portkey(
        base_url=gateway.base_url + "/v1",
        provider="openai",
        api_key=PORTKEY_KEY,
        http_client=httpx.Client(trust_env=False),
    )
    with client:
        result = client.images.generate(model="dall-e-2", prompt="a red fox", n=2)

    assert len(result.data) == 2
    assert upstream_call(fake_provider).headers["authorization"] == f"Bearer {PORTKEY_KEY}"


def test_portkey_sdk_sees_upstream_429_as_rate_limit_error(gateway, fake_provider):
    options = {"custom_host": fake_provider.upstream("status/429")}

    with (
        portkey_client(gateway.base_url + "/v1", **options) as client,
        pytest.raises(portkey_openai.RateLimitError) as caught,
    ):
        client.images.generate(model="dall-e-3", prompt="a red fox")

    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.body["provider"] == "openai"
    assert len(fake_provider.requests) == 1  # the SDK's own retry obeys x-should-retry
