"""Golden tests of the Nscale transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.nscale import PROVIDER

KEY = "ns-test-key-0123"
TARGET = Target(provider="nscale", base_url=None, api_key=KEY)


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_nscale():
    assert get("nscale") is PROVIDER


def test_typical_request_url_headers_and_body():
    call = call_for(model="stabilityai/stable-diffusion-xl-base-1.0", n=2, size="1024x1024")
    assert (call.method, call.url) == (
        "POST",
        "https://inference.api.nscale.com/v1/images/generations",
    )
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"model":"stabilityai/stable-diffusion-xl-base-1.0","prompt":"a red fox",'
        b'"n":2,"size":"1024x1024"}'
    )


def test_defaults_name_the_model_and_keep_nscales_size():
    request = request_for()
    assert request.size == "512x512"  # Nscale's documented default, not OpenAI's
    call = PROVIDER.build_call(request, TARGET)
    assert call.body == b'{"model":"black-forest-labs/FLUX.1-schnell","prompt":"a red fox"}'


def test_fields_nscale_does_not_document_are_dropped():
    call = call_for(response_format="url", quality="hd", style="vivid", user="u", seed=1)
    assert json.loads(call.body) == {
        "model": "black-forest-labs/FLUX.1-schnell",
        "prompt": "a red fox",
    }


def test_custom_host_replaces_the_base():
    target = Target(provider="nscale", base_url="http://127.0.0.1:9/p/nscale/v1", api_key=KEY)
    assert call_for(target).url == "http://127.0.0.1:9/p/nscale/v1/images/generations"


@pytest.mark.parametrize(
    ("created", "expected"), [(1707000000, 1707000000), (1707000000123, 1707000000)]
)
def test_answer_is_rebuilt_with_created_in_seconds(created, expected):
    raw = {"created": created, "data": [{"b64_json": "iVBO"}, {"b64_json": "iVBP"}]}
    result = PROVIDER.parse_reply(reply(200, raw), request_for(response_format="b64_json"))
    assert (result.status, result.body) == (200, b"")
    assert result.images == (GeneratedImage(b64_json="iVBO"), GeneratedImage(b64_json="iVBP"))
    assert result.created == expected


def test_error_body_keeps_status_and_names_nscale():
    error = {"error": {"message": "Model not found", "type": "not_found", "code": "model"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(404, error), request_for())
    assert info.value.status == 404
    assert info.value.to_body()["error"] == {
        "message": "nscale error: Model not found",
        "type": "not_found",
        "param": None,
        "code": "model",
        "provider": "nscale",
    }


def test_error_without_data_inside_a_200_is_an_error_not_a_crash():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"error": {"message": "no credit"}}), request_for())
    assert (info.value.status, info.value.message) == (502, "nscale error: no credit")


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ({"created": 1}, "application/json"),
        ({"created": 1, "data": [{"nothing": 1}]}, "application/json"),
        (b"\x89PNG", "image/png"),
    ],
)
def test_other_2xx_bodies_are_invalid_answers(payload, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, payload, content_type), request_for())
