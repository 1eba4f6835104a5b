"""DeepInfra through gunicorn against its fake: exact upstream call, both formats, errors."""

from __future__ import annotations

import base64

import pytest

from .fakes import CREATED, TINY_PNG, TINY_PNG_B64

KEY = "di-e2e-key-0123456789"
PATH = "/p/deepinfra/v1/openai/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "deepinfra",
        "x-portkey-custom-host": fake.host("deepinfra") + "/v1/openai",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def test_b64_json_sends_the_exact_call_and_passes_the_answer_through(http, gateway, fake_provider):
    body = {
        "model": "stabilityai/sd3.5",
        "prompt": "a red fox",
        "n": 2,
        "size": "1024x768",
        "response_format": "b64_json",
        "style": "vivid",
    }
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    item = {"revised_prompt": "a red fox", "b64_json": TINY_PNG_B64}
    assert res.json() == {"created": CREATED, "data": [item, item]}
    [sent] = fake_provider.requests_to("deepinfra")
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "prompt": "a red fox",
        "model": "stabilityai/sd3.5",
        "n": 2,
        "size": "1024x768",
    }


def test_url_asked_gets_a_gateway_hosted_png(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox"})
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    assert set(item) == {"url", "revised_prompt"}
    image = http.get(item["url"], timeout=10)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG == base64.b64decode(TINY_PNG_B64)
    [sent] = fake_provider.requests_to("deepinfra")
    assert "response_format" not in sent.json()  # DeepInfra refuses "url"


def test_upstream_error_keeps_status_and_names_deepinfra(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"model": "missing/model", "prompt": "a red fox"})
    assert res.status_code == 404
    assert res.json()["error"] == {
        "message": "deepinfra error: Model is not available",
        "type": "not_found",
        "param": None,
        "code": "upstream_404",
        "provider": "deepinfra",
    }
