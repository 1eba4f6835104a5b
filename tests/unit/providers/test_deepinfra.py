"""Golden tests of the DeepInfra transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.deepinfra import PROVIDER

KEY = "di-test-key-0123"
TARGET = Target(provider="deepinfra", base_url=None, api_key=KEY)
URL = "https://api.deepinfra.com/v1/openai/images/generations"


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_deepinfra():
    assert get("deepinfra") is PROVIDER


def test_typical_request_url_headers_and_body():
    call = call_for(model="stabilityai/sd3.5", n=2, size="1024x768", user="u-1")
    assert (call.method, call.url) == ("POST", URL)
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"prompt":"a red fox","model":"stabilityai/sd3.5","n":2,"user":"u-1","size":"1024x768"}'
    )


def test_defaults_name_the_model_and_send_nothing_else():
    assert call_for().body == b'{"prompt":"a red fox","model":"black-forest-labs/FLUX-1-schnell"}'


def test_openai_only_values_and_unknown_fields_are_not_sent():
    call = call_for(
        response_format="url", quality="hd", style="vivid", size="auto", seed=3, extra="x"
    )
    assert json.loads(call.body) == {
        "prompt": "a red fox",
        "model": "black-forest-labs/FLUX-1-schnell",
    }


def test_custom_host_replaces_the_base_and_forwarded_headers_never_replace_auth():
    target = Target(
        provider="deepinfra",
        base_url="http://127.0.0.1:9/p/deepinfra/v1/openai/",
        api_key=KEY,
        forward_headers=(("x-team", "a"), ("AUTHORIZATION", "Bearer stolen")),
    )
    call = call_for(target)
    assert call.url == "http://127.0.0.1:9/p/deepinfra/v1/openai/images/generations"
    assert call.headers["x-team"] == "a"
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert "AUTHORIZATION" not in call.headers


def test_n_above_ten_is_refused_and_four_is_one_calls_share():
    with pytest.raises(InvalidRequest) as info:
        request_for(model="black-forest-labs/FLUX-1-dev", n=11)
    assert info.value.param == "n"
    assert request_for(model="black-forest-labs/FLUX-1-dev", n=5).n == 5  # two calls
    assert PROVIDER.capabilities.per_call("black-forest-labs/FLUX-1-dev") == 4


def test_unknown_model_passes_through_with_generic_checks():
    assert json.loads(call_for(model="new/model-2", n=6).body)["n"] == 6


SUCCESS = {"created": 1707000000, "data": [{"revised_prompt": "a red fox", "b64_json": "iVBO"}]}


def test_b64_answer_passes_through_byte_for_byte():
    raw = json.dumps(SUCCESS).encode()
    result = PROVIDER.parse_reply(
        reply(200, raw, **{"retry-after": "2"}), request_for(response_format="b64_json")
    )
    assert (result.status, result.body, result.headers, result.images) == (
        200,
        raw,
        {"retry-after": "2"},
        None,
    )


def test_url_asked_becomes_images_for_the_gateway_to_host():
    result = PROVIDER.parse_reply(reply(200, SUCCESS), request_for())
    assert result.images == (GeneratedImage(b64_json="iVBO", revised_prompt="a red fox"),)
    assert result.created == 1707000000


def test_openai_shaped_error_keeps_status_and_names_deepinfra():
    error = {"error": {"message": "Not authenticated", "type": "invalid_request_error"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(401, error), request_for())
    assert info.value.status == 401
    assert info.value.to_body() == {
        "error": {
            "message": "deepinfra error: Not authenticated",
            "type": "invalid_request_error",
            "param": None,
            "code": "upstream_401",
            "provider": "deepinfra",
        }
    }


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        ({"error": "Not authenticated"}, "Not authenticated"),
        ("Model is not available", "Model is not available"),
        (
            [{"loc": ["body", "n"], "msg": "ensure this value is less than or equal to 4"}],
            "body.n: ensure this value is less than or equal to 4",
        ),
    ],
)
def test_framework_detail_errors_keep_their_text(detail, message):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(422, {"detail": detail}), request_for())
    assert (info.value.status, info.value.message) == (422, f"deepinfra error: {message}")


def test_rate_limit_may_be_retried_by_the_client():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(429, {"error": {"message": "slow down"}}, **{"retry-after": "3"}), request_for()
        )
    assert info.value.response_headers() == {"retry-after": "3", "x-should-retry": "true"}


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ({"error": {"message": "quota"}}, "application/json"),
        ({"created": 1, "data": []}, "application/json"),
        ({"created": 1}, "application/json"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
    ],
)
def test_a_2xx_that_is_not_an_image_answer_raises(payload, content_type):
    with pytest.raises((ProviderError, InvalidUpstreamResponse)):
        PROVIDER.parse_reply(reply(200, payload, content_type), request_for())
