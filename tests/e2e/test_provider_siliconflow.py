"""SiliconFlow through gunicorn against its fake: native answers become OpenAI's shape."""

from __future__ import annotations

import base64

import pytest

from .fakes import TINY_PNG

KEY = "sk-sf-e2e-0123456789"
PATH = "/p/siliconflow/v1/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "siliconflow",
        "x-portkey-custom-host": fake.host("siliconflow") + "/v1",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def upstream(fake, prefix="/p/siliconflow/v1"):
    return [r for r in fake.requests if r.path.startswith(prefix)]


def test_url_sends_the_exact_call_and_answers_in_openai_shape(http, gateway, fake_provider):
    body = {"prompt": "a red fox", "n": 2, "size": "960x1280", "seed": 7, "style": "vivid"}
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    base = fake_provider.host("siliconflow")
    answer = res.json()
    assert set(answer) == {"created", "data"}
    assert answer["data"] == [{"url": f"{base}/files/0.png"}, {"url": f"{base}/files/1.png"}]
    [sent] = upstream(fake_provider)
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "model": "Kwai-Kolors/Kolors",
        "prompt": "a red fox",
        "image_size": "960x1280",
        "batch_size": 2,
        "seed": 7,
    }


def test_b64_json_asked_inlines_the_image_from_siliconflows_link(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "response_format": "b64_json"})
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    assert base64.b64decode(item["b64_json"]) == TINY_PNG
    fetched = [r.path for r in upstream(fake_provider, "/p/siliconflow/files/")]
    assert fetched == ["/p/siliconflow/files/0.png"]


def test_upstream_error_keeps_status_and_names_siliconflow(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "model": "acme/unknown"})
    assert res.status_code == 400
    assert res.json()["error"] == {
        "message": "siliconflow error: Model does not exist. Please check it carefully.",
        "type": "upstream_error",
        "param": None,
        "code": "20012",
        "provider": "siliconflow",
    }
