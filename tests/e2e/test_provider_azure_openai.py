"""azure-openai through gunicorn against its fake (tests/e2e/fakes/azure_openai.py)."""

from __future__ import annotations

import json

import pytest
import requests

from .fakes import CREATED, TINY_PNG, TINY_PNG_B64

KEY = "az-e2e-key-0123456789"
PREFIX = "/p/azure-openai"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, raw: bytes, **headers: str) -> requests.Response:
    sent = {
        "Content-Type": "application/json",
        "x-portkey-provider": "azure-openai",
        "x-portkey-custom-host": fake.host("azure-openai"),
        "x-portkey-azure-deployment-id": "dalle3",
        "Authorization": f"Bearer {KEY}",
        **headers,
    }
    sent = {name: value for name, value in sent.items() if value}
    return requests.post(gateway.url("/v1/images/generations"), data=raw, headers=sent, timeout=30)


def test_dall_e_3_url_answer_passes_through_and_the_body_is_forwarded_as_sent(
    gateway, fake_provider
):
    raw = b'{"model": "dall-e-3", "prompt": "a red fox", "size": "1792x1024", "style": "natural"}'
    res = post(gateway, fake_provider, raw)
    assert res.status_code == 200, res.text
    assert res.json() == {
        "created": CREATED,
        "data": [
            {
                "revised_prompt": "A fake revised prompt.",
                "content_filter_results": {},
                "url": fake_provider.host("azure-openai") + "/files/0.png",
            }
        ],
    }
    [sent] = fake_provider.requests_to("azure-openai")
    assert (sent.method, sent.path, sent.query) == (
        "POST",
        PREFIX + "/deployments/dalle3/images/generations",
        "api-version=2024-10-21",
    )
    assert sent.headers["api-key"] == KEY
    assert "authorization" not in sent.headers
    assert sent.body == raw


def test_gpt_image_url_request_is_hosted_by_the_gateway_with_an_entra_token_on_v1(
    gateway, fake_provider, http
):
    raw = b'{"model": "gpt-image-1", "prompt": "a red fox", "response_format": "url"}'
    res = post(
        gateway,
        fake_provider,
        raw,
        Authorization="",
        **{"x-portkey-azure-api-version": "v1", "x-portkey-azure-ad-token": "eyJ.entra.token"},
    )
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    assert item["url"].startswith(gateway.base_url + "/v1/images/files/")
    image = http.get(item["url"], timeout=10)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG
    [sent] = fake_provider.requests_to("azure-openai")
    assert (sent.path, sent.query) == (PREFIX + "/v1/images/generations", "")
    assert sent.headers["authorization"] == "Bearer eyJ.entra.token"
    assert "api-key" not in sent.headers
    assert json.loads(sent.body) == {"model": "gpt-image-1", "prompt": "a red fox"}


def test_b64_json_from_dall_e_3_with_defaulted_model(gateway, fake_provider):
    res = post(gateway, fake_provider, b'{"prompt": "a fox", "response_format": "b64_json"}')
    assert res.status_code == 200, res.text
    assert res.json()["data"][0]["b64_json"] == TINY_PNG_B64
    [sent] = fake_provider.requests_to("azure-openai")
    assert json.loads(sent.body) == {
        "model": "dall-e-3",
        "prompt": "a fox",
        "response_format": "b64_json",
    }


def test_errors_keep_status_name_the_provider_and_missing_options_are_400(gateway, fake_provider):
    res = post(gateway, fake_provider, b'{"prompt": "something forbidden"}')
    assert res.status_code == 400
    assert res.json()["error"] == {
        "message": "azure-openai error: Your task failed as a result of our safety system.",
        "type": "upstream_error",
        "param": None,
        "code": "contentFilter",
        "provider": "azure-openai",
    }
    fake_provider.clear()
    res = post(gateway, fake_provider, b'{"prompt": "p"}', **{"x-portkey-azure-deployment-id": ""})
    assert res.status_code == 400
    assert res.json()["error"]["param"] == "deployment_id"
    assert fake_provider.requests_to("azure-openai") == []
