"""Nscale through gunicorn against its fake: exact upstream call, both formats, errors."""

from __future__ import annotations

import pytest

from .fakes import CREATED, TINY_PNG, TINY_PNG_B64

KEY = "ns-e2e-key-0123456789"
PATH = "/p/nscale/v1/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "nscale",
        "x-portkey-custom-host": fake.host("nscale") + "/v1",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def test_b64_json_sends_the_exact_call_and_answers_in_seconds(http, gateway, fake_provider):
    body = {
        "model": "stabilityai/stable-diffusion-xl-base-1.0",
        "prompt": "a red fox",
        "n": 2,
        "size": "1024x1024",
        "response_format": "b64_json",
        "quality": "hd",
    }
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    item = {"b64_json": TINY_PNG_B64}
    assert res.json() == {"created": CREATED, "data": [item, item]}
    [sent] = fake_provider.requests_to("nscale")
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "model": "stabilityai/stable-diffusion-xl-base-1.0",
        "prompt": "a red fox",
        "n": 2,
        "size": "1024x1024",
    }


def test_url_asked_gets_a_gateway_hosted_png(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["created"] == CREATED
    [item] = body["data"]
    image = http.get(item["url"], timeout=10)
    assert (image.status_code, image.headers["Content-Type"], image.content) == (
        200,
        "image/png",
        TINY_PNG,
    )
    [sent] = fake_provider.requests_to("nscale")
    assert sent.json() == {"model": "black-forest-labs/FLUX.1-schnell", "prompt": "a red fox"}


def test_error_body_without_data_is_a_proper_error(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"model": "acme/unknown", "prompt": "a red fox"})
    assert res.status_code == 404
    assert res.json()["error"] == {
        "message": "nscale error: Model acme/unknown not found or unavailable",
        "type": "not_found",
        "param": None,
        "code": "upstream_404",
        "provider": "nscale",
    }
