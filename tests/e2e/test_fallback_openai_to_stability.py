"""Fallback across providers through real gunicorn: OpenAI answers 500, Stability AI
(base64 only) answers, and the caller still gets the ``url`` it asked for."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.fakes import TINY_PNG

OPENAI_KEY = "sk-e2e-fallback-openai-0123456789"
STABILITY_KEY = "sk-e2e-fallback-stability-0123456789"
TRACE = "fallback-openai-to-stability"


@pytest.fixture(scope="module")
def fallback_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.mark.local_files
def test_openai_500_falls_back_to_stability_and_url_serves_the_png(fallback_gateway, fake_provider):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {
                "provider": "openai",
                "api_key": OPENAI_KEY,
                "custom_host": fake_provider.upstream("status/500"),
            },
            {
                "provider": "stability-ai",
                "api_key": STABILITY_KEY,
                "custom_host": fake_provider.host("stability-ai"),
            },
        ],
    }
    res = requests.post(
        fallback_gateway.url("/v1/images/generations"),
        json={"prompt": "a red fox", "response_format": "url"},
        headers={"x-portkey-config": json.dumps(config), "x-portkey-trace-id": TRACE},
        timeout=30,
    )

    assert res.status_code == 200, res.text
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    [item] = res.json()["data"]
    assert set(item) == {"url"}
    assert item["url"].startswith(fallback_gateway.base_url + "/")
    image = requests.get(item["url"], timeout=30)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.content == TINY_PNG

    sent = fake_provider.requests
    assert [r.path for r in sent] == [
        "/status/500/v1/images/generations",
        "/p/stability-ai/v2beta/stable-image/generate/core",
    ]
    assert sent[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent[1].headers["authorization"] == f"Bearer {STABILITY_KEY}"

    [row] = fallback_gateway.log_rows(TRACE)
    assert (row["provider"], row["status"], row["target"]) == (
        "stability-ai",
        200,
        "config.targets[1]",
    )
    assert fallback_gateway.attempt_rows(row["request_id"], at_least=2) == [
        ("config.targets[0]", "openai", 500),
        ("config.targets[1]", "stability-ai", 200),
    ]
