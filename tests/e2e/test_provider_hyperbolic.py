"""Hyperbolic through gunicorn against its fake: native answers become OpenAI's shape."""

from __future__ import annotations

import base64

import pytest

from .fakes import TINY_PNG, TINY_PNG_B64

KEY = "hb-e2e-key-0123456789"
PATH = "/p/hyperbolic/v1/image/generation"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "hyperbolic",
        "x-portkey-custom-host": fake.host("hyperbolic") + "/v1",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def test_b64_json_sends_the_exact_call_and_answers_in_openai_shape(http, gateway, fake_provider):
    body = {
        "model": "FLUX.1-dev",
        "prompt": "a red fox",
        "n": 2,
        "size": "1024x768",
        "steps": 30,
        "response_format": "b64_json",
    }
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    answer = res.json()
    assert set(answer) == {"created", "data"}
    assert answer["data"] == [{"b64_json": TINY_PNG_B64}, {"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("hyperbolic")
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "model_name": "FLUX.1-dev",
        "prompt": "a red fox",
        "width": 1024,
        "height": 768,
        "n": 2,
        "steps": 30,
    }


def test_url_asked_gets_a_gateway_hosted_png(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox"})
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    image = http.get(item["url"], timeout=10)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG == base64.b64decode(TINY_PNG_B64)
    [sent] = fake_provider.requests_to("hyperbolic")
    assert sent.json() == {"model_name": "SDXL1.0-base", "prompt": "a red fox"}


def test_upstream_error_keeps_status_and_names_hyperbolic(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "width": 4096})
    assert res.status_code == 422
    assert res.json()["error"] == {
        "message": "hyperbolic error: body.width: must be between 64 and 2048",
        "type": "upstream_error",
        "param": None,
        "code": "upstream_422",
        "provider": "hyperbolic",
    }
