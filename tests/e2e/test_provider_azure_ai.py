"""azure-ai (Foundry) through gunicorn against its fake (tests/e2e/fakes/azure_ai.py)."""

from __future__ import annotations

import json

import pytest
import requests

from .fakes import TINY_PNG, TINY_PNG_B64

KEY = "foundry-e2e-key-0123456789"
PREFIX = "/p/azure-ai"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, body: dict, **headers: str) -> requests.Response:
    sent = {"x-portkey-provider": "azure-ai", "Authorization": f"Bearer {KEY}", **headers}
    return requests.post(gateway.url("/v1/images/generations"), json=body, headers=sent, timeout=30)


def test_gpt_image_deployment_with_foundry_headers_and_a_hosted_url(gateway, fake_provider, http):
    res = post(
        gateway,
        {"model": "gpt-image-1", "prompt": "a red fox", "response_format": "url"},
        **{
            "x-portkey-custom-host": fake_provider.host("azure-ai"),
            "x-portkey-azure-api-version": "2025-04-01-preview",
            "x-portkey-azure-extra-params": "pass-through",
            "x-portkey-azure-deployment-name": "gpt-image-1",
        },
    )
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    image = http.get(item["url"], timeout=10)
    assert (image.status_code, image.headers["Content-Type"], image.content) == (
        200,
        "image/png",
        TINY_PNG,
    )
    [sent] = fake_provider.requests_to("azure-ai")
    assert (sent.method, sent.path, sent.query) == (
        "POST",
        PREFIX + "/images/generations",
        "api-version=2025-04-01-preview",
    )
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["extra-parameters"] == "pass-through"
    assert sent.headers["azureml-model-deployment"] == "gpt-image-1"
    assert json.loads(sent.body) == {"model": "gpt-image-1", "prompt": "a red fox"}


def test_b64_json_defaults_to_dall_e_3_and_drops_extra_parameters(gateway, fake_provider):
    res = post(
        gateway,
        {"prompt": "a fox", "response_format": "b64_json"},
        **{"x-portkey-custom-host": fake_provider.host("azure-ai")},
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"][0]["b64_json"] == TINY_PNG_B64
    [sent] = fake_provider.requests_to("azure-ai")
    assert sent.query == "api-version=2024-10-21"
    assert sent.headers["extra-parameters"] == "drop"
    assert "azureml-model-deployment" not in sent.headers
    assert json.loads(sent.body) == {
        "model": "dall-e-3",
        "prompt": "a fox",
        "response_format": "b64_json",
    }


def test_non_azure_foundry_url_is_refused_before_any_call(gateway, fake_provider):
    res = post(
        gateway,
        {"prompt": "a fox"},
        **{"x-portkey-azure-foundry-url": fake_provider.host("azure-ai")},
    )
    assert res.status_code == 400
    assert res.json()["error"]["param"] == "azure_foundry_url"
    assert fake_provider.requests_to("azure-ai") == []


def test_upstream_error_is_normalised(gateway, fake_provider):
    res = post(
        gateway,
        {"prompt": "something forbidden"},
        **{"x-portkey-custom-host": fake_provider.host("azure-ai")},
    )
    assert res.status_code == 400
    assert res.json()["error"] == {
        "message": "azure-ai error: Your task failed as a result of our safety system.",
        "type": "upstream_error",
        "param": None,
        "code": "contentFilter",
        "provider": "azure-ai",
    }
