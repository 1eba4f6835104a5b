"""Lemonfox.ai through gunicorn against its fake: exact upstream call, both formats, errors."""

from __future__ import annotations

import pytest

from .fakes import CREATED, TINY_PNG_B64

KEY = "lf-e2e-key-0123456789"
PATH = "/p/lemonfox-ai/v1/images/generations"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, fake, body):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "lemonfox-ai",
        "x-portkey-custom-host": fake.host("lemonfox-ai") + "/v1",
    }
    return http.post(gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30)


def test_url_sends_the_exact_call_and_passes_the_answer_through(http, gateway, fake_provider):
    body = {
        "model": "dall-e-3",
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "n": 2,
        "size": "768x768",
        "quality": "hd",
        "user": "u-1",
    }
    res = post(http, gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    base = fake_provider.host("lemonfox-ai")
    assert res.json() == {
        "created": CREATED,
        "data": [{"url": f"{base}/files/0.png"}, {"url": f"{base}/files/1.png"}],
    }
    [sent] = fake_provider.requests_to("lemonfox-ai")
    assert (sent.method, sent.path) == ("POST", PATH)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json() == {
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "n": 2,
        "size": "768x768",
    }


def test_b64_json_is_asked_upstream_and_passed_through(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "response_format": "b64_json"})
    assert res.status_code == 200, res.text
    assert res.json() == {"created": CREATED, "data": [{"b64_json": TINY_PNG_B64}]}
    [sent] = fake_provider.requests_to("lemonfox-ai")
    assert sent.json() == {"prompt": "a red fox", "response_format": "b64_json"}


def test_n_above_eight_is_two_lemonfox_calls(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "n": 9})
    assert res.status_code == 200, res.text
    assert len(res.json()["data"]) == 9
    sent = fake_provider.requests_to("lemonfox-ai")
    assert sorted(r.json()["n"] for r in sent) == [1, 8]


def test_n_above_ten_never_reaches_lemonfox(http, gateway, fake_provider):
    res = post(http, gateway, fake_provider, {"prompt": "a red fox", "n": 11})
    assert res.status_code == 400
    assert res.json()["error"]["param"] == "n"
    assert fake_provider.requests_to("lemonfox-ai") == []


def test_upstream_error_keeps_status_and_names_lemonfox(http, gateway, fake_provider):
    headers = {"x-portkey-provider": "lemonfox-ai", "Authorization": f"Bearer {KEY}"}
    headers["x-portkey-custom-host"] = fake_provider.host("lemonfox-ai") + "/wrong"
    res = http.post(
        gateway.url("/v1/images/generations"),
        json={"prompt": "a red fox"},
        headers=headers,
        timeout=30,
    )
    assert res.status_code == 404
    assert res.json()["error"] == {
        "message": "lemonfox-ai error: Not found: /wrong/images/generations",
        "type": "not_found",
        "param": None,
        "code": "upstream_404",
        "provider": "lemonfox-ai",
    }
