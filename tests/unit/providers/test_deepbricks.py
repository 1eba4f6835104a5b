"""Golden tests of the Deepbricks transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.deepbricks import PROVIDER

TARGET = Target(provider="deepbricks", base_url=None, api_key="sk-db")


def call_for(raw: bytes, tgt: Target = TARGET):
    request = resolve(PROVIDER.capabilities, json.loads(raw), raw)
    return PROVIDER.build_call(request, tgt)


def test_registered_under_portkey_id():
    assert get("deepbricks") is PROVIDER


def test_openai_body_forwarded_untouched_to_deepbricks():
    raw = b'{"prompt": "a fox", "model": "dall-e-3", "quality": "hd", "style": "natural"}'
    call = call_for(raw)
    assert (call.method, call.url, call.body) == (
        "POST",
        "https://api.deepbricks.ai/v1/images/generations",
        raw,
    )
    assert call.headers == {
        "Authorization": "Bearer sk-db",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def test_default_model_is_dall_e_2():
    assert call_for(b'{"prompt": "p"}').body == b'{"model":"dall-e-2","prompt":"p"}'


def test_organization_and_project_use_deepbricks_header_names_and_custom_host():
    tgt = Target(
        provider="deepbricks",
        base_url="http://127.0.0.1:9/p/deepbricks/v1/",
        api_key="k",
        organization="org-1",
        project="proj-1",
        forward_headers=(("authorization", "x"), ("x-team", "a")),
    )
    call = call_for(b'{"prompt": "p"}', tgt)
    assert call.url == "http://127.0.0.1:9/p/deepbricks/v1/images/generations"
    assert call.headers == {
        "Authorization": "Bearer k",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Deepbricks-Organization": "org-1",
        "Deepbricks-Project": "proj-1",
        "x-team": "a",
    }


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "p", "model": "dall-e-3", "n": 2}, "n"),
        ({"prompt": "p", "size": "1792x1024"}, "size"),
        ({"prompt": "p", "model": "dall-e-3", "quality": "ultra"}, "quality"),
    ],
)
def test_capability_violations_are_400(body, param):
    with pytest.raises(InvalidRequest) as info:
        resolve(PROVIDER.capabilities, body, b"")
    assert info.value.param == param


def reply(status: int, body: bytes):
    return ProviderReply(status, {"content-type": "application/json"}, body)


REQUEST = resolve(PROVIDER.capabilities, {"prompt": "p"}, b"")


def test_success_passes_through_untouched():
    body = b'{"created": 1700000000, "data": [{"url": "https://x/y.png"}]}'
    assert PROVIDER.parse_reply(reply(200, body), REQUEST) == ImageResult(200, body, {})


def test_error_is_prefixed_and_keeps_status():
    body = b'{"error": {"message": "Invalid token", "type": "invalid_request_error"}}'
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(401, body), REQUEST)
    assert info.value.status == 401
    assert info.value.to_body()["error"] == {
        "message": "deepbricks error: Invalid token",
        "type": "invalid_request_error",
        "param": None,
        "code": "upstream_401",
        "provider": "deepbricks",
    }


def test_error_inside_200_raises():
    with pytest.raises(ProviderError):
        PROVIDER.parse_reply(reply(200, b'{"error": "busy"}'), REQUEST)
