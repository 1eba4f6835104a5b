"""A moderated Stability answer through real gunicorn: a 400 alone, the next target in a
fallback. The fake Stability API flags a prompt containing "filtered" with
``CONTENT_FILTERED`` (and still sends the image, as Stability sends a blurred one).

A refused prompt is the same 400 ``content_policy_violation``, the provider's words
kept: the fakes refuse a prompt containing "refused" (Stability's 403
``content_moderation``, Bedrock's ``ValidationException``, Vertex's 400 "could not be
submitted") or "nsfw" (Together's safety checker 422). Vertex is always asked for
``includeRaiReason``, so an image its output filter removed fails the answer."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.fake_provider import ok_body
from tests.e2e.fakes import TINY_PNG_B64
from tests.e2e.fakes.bedrock import API_KEY as BEDROCK_KEY
from tests.e2e.fakes.bedrock import INPUT_DEFLECTION
from tests.e2e.fakes.stability_ai import FILTERED_ERROR
from tests.e2e.fakes.stability_ai import REFUSAL as STABILITY_REFUSAL
from tests.e2e.fakes.vertex_ai import ACCESS_TOKEN, PROMPT_REFUSAL, RAI_REASON

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
    assert res.json() == FILTERED_ERROR
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


def provider_headers(fake, provider: str) -> dict[str, str]:
    host = fake.host(provider)
    headers = {"x-portkey-provider": provider, "x-portkey-custom-host": host}
    if provider == "stability-ai":
        headers["Authorization"] = f"Bearer {STABILITY_KEY}"
    elif provider == "bedrock":
        headers["Authorization"] = f"Bearer {BEDROCK_KEY}"
    elif provider == "vertex-ai":
        headers["Authorization"] = f"Bearer {ACCESS_TOKEN}"
        headers["x-portkey-vertex-project-id"] = "e2e-project"
        headers["x-portkey-vertex-region"] = "us-central1"
    else:  # together-ai keeps its /v1 under the custom host
        headers["Authorization"] = "Bearer tg-e2e-key"
        headers["x-portkey-custom-host"] = host + "/v1"
    return headers


@pytest.mark.parametrize(
    ("provider", "body", "said"),
    [
        ("stability-ai", {"model": "core", "prompt": "a refused fox"}, STABILITY_REFUSAL),
        (
            "stability-ai",
            {"model": "stable-diffusion-xl-1024-v1-0", "prompt": "a refused fox"},
            STABILITY_REFUSAL,
        ),
        (
            "bedrock",
            {"model": "amazon.nova-canvas-v1:0", "prompt": "a refused fox"},
            INPUT_DEFLECTION,
        ),
        (
            "vertex-ai",
            {"model": "imagen-4.0-generate-001", "prompt": "a refused fox"},
            PROMPT_REFUSAL,
        ),
        (
            "together-ai",
            {"model": "black-forest-labs/FLUX.1-schnell", "prompt": "nsfw fox"},
            "NSFW content detected. Try a different prompt.",
        ),
    ],
)
def test_a_refused_prompt_is_a_content_policy_400(
    filtered_gateway, fake_provider, provider, body, said
):
    res = post(filtered_gateway, body, provider_headers(fake_provider, provider))
    assert res.status_code == 400, res.text
    assert res.headers["x-should-retry"] == "false"
    assert res.json() == {
        "error": {
            "message": f"{provider} error: {said}",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": provider,
        }
    }
    assert len(fake_provider.requests_to(provider)) == 1


def test_vertex_is_asked_for_the_rai_reason_so_one_filtered_image_fails_the_answer(
    filtered_gateway, fake_provider
):
    body = {"model": "imagen-4.0-generate-001", "prompt": PROMPT, "n": 2}
    res = post(filtered_gateway, body, provider_headers(fake_provider, "vertex-ai"))
    assert res.status_code == 400, res.text
    assert res.json()["error"]["message"] == (
        "vertex-ai error: the provider's content filter flagged the output "
        f"(raiFilteredReason: {RAI_REASON})."
    )
    assert res.json()["error"]["code"] == "content_policy_violation"
    assert TINY_PNG_B64 not in res.text
    [sent] = fake_provider.requests_to("vertex-ai")
    assert sent.json()["parameters"] == {
        "sampleCount": 2,
        "aspectRatio": "1:1",
        "includeRaiReason": True,
    }
