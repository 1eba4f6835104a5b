"""A moderated Stability answer through real gunicorn: a 400 alone, the next target in a
fallback. The fake Stability API flags a prompt containing "filtered" with
``CONTENT_FILTERED`` (and still sends the image, as Stability sends a blurred one)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.fake_provider import ok_body
from tests.e2e.fakes import TINY_PNG_B64

STABILITY_KEY = "sk-e2e-filtered-stability-0123456789"
OPENAI_KEY = "sk-e2e-filtered-openai-0123456789"
PROMPT = "a filtered red fox"
TRACE = "content-filtered-fallback"


@pytest.fixture(scope="module")
def filtered_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, body, headers):
    return requests.post(
        gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30
    )


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("core", "/v2beta/stable-image/generate/core"),
        (
            "stable-diffusion-xl-1024-v1-0",
            "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image",
        ),
    ],
)
def test_a_filtered_stability_answer_is_a_content_policy_400(
    filtered_gateway, fake_provider, model, path
):
    headers = {
        "Authorization": f"Bearer {STABILITY_KEY}",
        "x-portkey-provider": "stability-ai",
        "x-portkey-custom-host": fake_provider.host("stability-ai"),
    }
    res = post(filtered_gateway, {"model": model, "prompt": PROMPT}, headers)
    assert res.status_code == 400
    assert res.json() == {
        "error": {
            "message": "stability-ai error: the provider's content filter flagged the output "
            "(finish reason CONTENT_FILTERED).",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "stability-ai",
        }
    }
    assert TINY_PNG_B64 not in res.text
    [sent] = fake_provider.requests_to("stability-ai")
    assert sent.path == f"/p/stability-ai{path}"


def test_fallback_from_a_filtered_stability_answer_to_openai(filtered_gateway, fake_provider):
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {
                "provider": "stability-ai",
                "api_key": STABILITY_KEY,
                "custom_host": fake_provider.host("stability-ai"),
            },
            {"provider": "openai", "api_key": OPENAI_KEY, "custom_host": fake_provider.upstream()},
        ],
    }
    headers = {"x-portkey-config": json.dumps(config), "x-portkey-trace-id": TRACE}
    res = post(filtered_gateway, {"prompt": PROMPT}, headers)

    assert res.status_code == 200, res.text
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert res.content == ok_body(1, "url")
    sent = fake_provider.requests
    assert [r.path for r in sent] == [
        "/p/stability-ai/v2beta/stable-image/generate/core",
        "/v1/images/generations",
    ]
    assert sent[1].headers["authorization"] == f"Bearer {OPENAI_KEY}"
    [row] = filtered_gateway.log_rows(TRACE)
    assert (row["provider"], row["status"], row["target"]) == ("openai", 200, "config.targets[1]")
