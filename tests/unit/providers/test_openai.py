"""Golden tests of the OpenAI transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidUpstreamResponse, ProviderError
from gateway.models import ProviderReply, Target
from gateway.providers import REGISTRY, get
from gateway.providers.capabilities import resolve
from gateway.providers.openai import PROVIDER
from gateway.providers.openai.capabilities import CAPABILITIES
from gateway.providers.openai.images import native_formats
from tests.e2e.fakes import TINY_PNG_B64

TARGET = Target(provider="openai", base_url="https://api.openai.com/v1/", api_key="sk-abc")


REQUEST = resolve(CAPABILITIES, {"prompt": "p", "model": "dall-e-3"}, b"")


def call_for(raw: bytes, target: Target = TARGET):
    request = resolve(CAPABILITIES, json.loads(raw), raw)
    return PROVIDER.build_call(request, target)


def test_registry_has_openai():
    assert get("openai") is PROVIDER
    assert REGISTRY["openai"] is PROVIDER


def test_unchanged_body_is_forwarded_byte_for_byte():
    raw = b'{ "prompt" : "caf\\u00e9",  "model": "dall-e-3" }'
    call = call_for(raw)
    assert (call.method, call.url, call.body) == (
        "POST",
        "https://api.openai.com/v1/images/generations",
        raw,
    )
    assert call.headers == {
        "Authorization": "Bearer sk-abc",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def test_defaulted_model_is_added_first_and_null_model_replaced():
    assert call_for(b'{"prompt": "p", "model": null}').body == (
        b'{"model":"dall-e-2","prompt":"p"}'
    )


def test_gpt_image_drops_response_format():
    body = call_for(b'{"model": "gpt-image-1", "prompt": "p", "response_format": "b64_json"}')
    assert body.body == b'{"model":"gpt-image-1","prompt":"p"}'


def test_organization_project_and_forwarded_headers():
    target = Target(
        provider="openai",
        base_url="http://h/v1",
        api_key="k" * 8,
        organization="org-1",
        project="proj_1",
        forward_headers=(("x-team", "a"), ("authorization", "never")),
    )
    headers = call_for(b'{"prompt": "p"}', target).headers
    assert headers["OpenAI-Organization"] == "org-1"
    assert headers["OpenAI-Project"] == "proj_1"
    assert headers["x-team"] == "a"
    assert headers["Authorization"] == "Bearer kkkkkkkk"


def reply(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_success_body_is_passed_through_untouched():
    body = b'{"created": 1, "data": [{"url": "u", "revised_prompt": "r"}]}'
    result = PROVIDER.parse_reply(
        reply(
            200,
            body,
            "application/json; charset=utf-8",
            **{"retry-after": "1", "x-request-id": "up"},
        ),
        REQUEST,
    )
    assert (result.status, result.body, result.headers) == (200, body, {"retry-after": "1"})


@pytest.mark.parametrize("body", [b"<html>", b"", b"[1]"])
def test_success_that_is_not_a_json_object_is_502(body):
    kind = "text/html" if body == b"<html>" else "application/json"
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, kind), REQUEST)


def test_error_without_error_object_still_becomes_openai_shape():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(418, b'{"detail": "teapot"}'), REQUEST)
    assert info.value.to_body() == {
        "error": {
            "message": "openai error: HTTP 418 without a message",
            "type": "upstream_error",
            "param": None,
            "code": "upstream_418",
            "provider": "openai",
        }
    }
    assert info.value.status == 418


def test_insufficient_quota_429_is_not_worth_a_client_retry():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(429, b'{"error": {"message": "quota", "code": "insufficient_quota"}}'),
            REQUEST,
        )
    assert info.value.response_headers()["x-should-retry"] == "false"


def test_long_error_messages_are_truncated():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(400, json.dumps({"error": {"message": "m" * 5000}}).encode()), REQUEST
        )
    assert len(info.value.message) <= len("openai error: ") + 500


@pytest.mark.parametrize(
    "model",
    ["gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.6-sunburst", "chatgpt-image-latest"],
)
def test_every_gpt_image_model_listed_or_newer_gets_no_response_format(model):
    raw = json.dumps({"model": model, "prompt": "p", "response_format": "url"}).encode()
    assert call_for(raw).body == f'{{"model":"{model}","prompt":"p"}}'.encode()
    request = resolve(CAPABILITIES, json.loads(raw), raw)
    assert native_formats(request) == ("b64_json",)


def test_other_unknown_models_keep_response_format_and_both_formats():
    raw = b'{"model": "my-finetune", "prompt": "p", "response_format": "url"}'
    assert call_for(raw).body == raw
    assert native_formats(resolve(CAPABILITIES, json.loads(raw), raw)) == ("url", "b64_json")


def test_newer_gpt_image_answer_is_hosted_when_url_is_asked():
    raw = b'{"model": "gpt-image-2.5-flare", "prompt": "p", "response_format": "url"}'
    request = resolve(CAPABILITIES, json.loads(raw), raw)
    answer = {"created": 7, "data": [{"b64_json": TINY_PNG_B64}]}
    result = PROVIDER.parse_reply(reply(200, json.dumps(answer).encode()), request)
    assert result.images is not None
    assert [image.b64_json for image in result.images] == [TINY_PNG_B64]
