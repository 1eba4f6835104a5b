"""Recraft through gunicorn against its fake: exact upstream call, both formats, errors."""

from __future__ import annotations

import pytest

from .fakes import CREATED, TINY_PNG_B64

KEY = "rc-e2e-key-0123456789"
PATH = "/p/recraft-ai/v1/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "recraft-ai",
        "x-portkey-custom-host": fake.host("recraft-ai") + "/v1",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def test_url_sends_the_exact_call_and_passes_the_answer_through(http, gateway, fake_provider):
    body = {
        "prompt": "a red fox",
        "n": 2,
        "size": "1365x1024",
        "style": "digital_illustration",
        "artistic_level": 2,
        "quality": "hd",
    }
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    base = fake_provider.host("recraft-ai")
    assert res.json() == {
        "created": CREATED,
        "credits": 80,
        "data": [
            {"image_id": "img-0", "url": f"{base}/files/0.png"},
            {"image_id": "img-1", "url": f"{base}/files/1.png"},
        ],
    }
    [sent] = fake_provider.requests_to("recraft-ai")
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "prompt": "a red fox",
        "model": "recraftv3",
        "n": 2,
        "style": "digital_illustration",
        "size": "1365x1024",
        "controls": {"artistic_level": 2},
    }


def test_b64_json_is_asked_upstream_and_passed_through(http, gateway, fake_provider):
    body = {"prompt": "a red fox", "model": "recraftv4", "response_format": "b64_json"}
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    assert res.json() == {
        "created": CREATED,
        "credits": 40,
        "data": [{"image_id": "img-0", "b64_json": TINY_PNG_B64}],
    }


def test_error_inside_a_200_is_an_error_naming_recraft(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "out of credits"})
    assert res.status_code == 502
    error = res.json()["error"]
    assert (error["message"], error["code"], error["provider"]) == (
        "recraft-ai error: not enough credits",
        "no_credits",
        "recraft-ai",
    )


def test_upstream_error_keeps_status_and_names_recraft(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "model": "recraftv9"})
    assert res.status_code == 400
    assert res.json()["error"] == {
        "message": "recraft-ai error: unknown model 'recraftv9'",
        "type": "upstream_error",
        "param": None,
        "code": "invalid_parameter",
        "provider": "recraft-ai",
    }
