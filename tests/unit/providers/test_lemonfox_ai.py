"""Golden tests of the Lemonfox.ai transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.lemonfox_ai import PROVIDER

KEY = "lf-test-key-0123"
TARGET = Target(provider="lemonfox-ai", base_url=None, api_key=KEY)


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_lemonfox():
    assert get("lemonfox-ai") is PROVIDER


def test_typical_request_url_headers_and_body():
    call = call_for(
        negative_prompt="blurry", n=3, size="768x768", response_format="b64_json", seed=1
    )
    assert (call.method, call.url) == ("POST", "https://api.lemonfox.ai/v1/images/generations")
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"prompt":"a red fox","negative_prompt":"blurry","n":3,'
        b'"response_format":"b64_json","size":"768x768"}'
    )


def test_defaults_send_only_the_prompt():
    assert call_for().body == b'{"prompt":"a red fox"}'


def test_model_and_openai_only_fields_are_not_sent():
    call = call_for(model="dall-e-3", quality="hd", style="natural", user="u", size="auto")
    assert call.body == b'{"prompt":"a red fox"}'


def test_custom_host_replaces_the_base():
    target = Target(provider="lemonfox-ai", base_url="http://127.0.0.1:9/lf/v1", api_key=KEY)
    assert call_for(target).url == "http://127.0.0.1:9/lf/v1/images/generations"


@pytest.mark.parametrize("model", ["stable-diffusion-xl", "dall-e-3", None])
def test_n_above_ten_is_refused_and_eight_is_one_calls_share_whatever_the_model_name(model):
    with pytest.raises(InvalidRequest) as info:
        request_for(model=model, n=11)
    assert info.value.param == "n"
    assert request_for(model=model, n=9).n == 9  # two calls (gateway.outbound.fanout)
    assert PROVIDER.capabilities.per_call(model or "stable-diffusion-xl") == 8


def test_eight_images_are_allowed():
    assert json.loads(call_for(n=8).body)["n"] == 8


@pytest.mark.parametrize("fmt", ["url", "b64_json"])
def test_answer_in_the_asked_format_passes_through(fmt):
    raw = json.dumps({"created": 1700000000, "data": [{fmt: "x"}]}).encode()
    result = PROVIDER.parse_reply(reply(200, raw), request_for(response_format=fmt))
    assert (result.status, result.body, result.images) == (200, raw, None)


def test_error_keeps_status_and_is_prefixed():
    error = {"error": {"message": "Invalid API key", "type": "authentication_error"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(401, error), request_for())
    assert info.value.status == 401
    assert info.value.to_body()["error"] == {
        "message": "lemonfox-ai error: Invalid API key",
        "type": "authentication_error",
        "param": None,
        "code": "upstream_401",
        "provider": "lemonfox-ai",
    }


def test_error_inside_a_200_raises():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"error": {"message": "no credits"}}), request_for())
    assert (info.value.status, info.value.message) == (502, "lemonfox-ai error: no credits")


def test_raw_image_answer_is_an_invalid_answer_not_a_crash():
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, b"\x89PNG", "image/png"), request_for())
