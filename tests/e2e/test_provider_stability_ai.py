"""stability-ai through real gunicorn against the fake Stability API (v1 and v2beta)."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes.stability_ai import form_fields

KEY = "sk-stab-e2e-0123456789"
PREFIX = "/p/stability-ai"


@pytest.fixture(scope="module")
def stability_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body):
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "Authorization": f"Bearer {KEY}",
            "x-portkey-provider": "stability-ai",
            "x-portkey-custom-host": fake.host("stability-ai"),
        },
        timeout=30,
    )


def test_sd35_multipart_call_and_b64_answer(stability_gateway, fake_provider):
    res = post(
        stability_gateway,
        fake_provider,
        {
            "model": "sd3.5-large",
            "prompt": "a red fox",
            "size": "1344x768",
            "seed": 7,
            "negative_prompt": "blur",
            "style": "vivid",
            "response_format": "b64_json",
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("stability-ai")
    assert (sent.method, sent.path) == ("POST", f"{PREFIX}/v2beta/stable-image/generate/sd3")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert form_fields(sent) == {
        "prompt": "a red fox",
        "model": "sd3.5-large",
        "negative_prompt": "blur",
        "aspect_ratio": "16:9",
        "seed": "7",
    }


def test_default_core_as_url_is_a_gateway_hosted_png(stability_gateway, fake_provider):
    res = post(stability_gateway, fake_provider, {"prompt": "a red fox"})
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    assert set(item) == {"url"}
    assert item["url"].startswith(stability_gateway.base_url)
    [sent] = fake_provider.requests_to("stability-ai")
    assert sent.path == f"{PREFIX}/v2beta/stable-image/generate/core"
    assert form_fields(sent) == {"prompt": "a red fox", "aspect_ratio": "1:1"}
    image = requests.get(item["url"], timeout=30)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.content == TINY_PNG


def test_sdxl_v1_json_call_with_several_samples(stability_gateway, fake_provider):
    res = post(
        stability_gateway,
        fake_provider,
        {
            "model": "stable-diffusion-xl-1024-v1-0",
            "prompt": "a red fox",
            "n": 2,
            "size": "1216x832",
            "steps": 30,
            "response_format": "b64_json",
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 2
    [sent] = fake_provider.requests_to("stability-ai")
    assert sent.path == f"{PREFIX}/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {
        "text_prompts": [{"text": "a red fox", "weight": 1}],
        "samples": 2,
        "height": 832,
        "width": 1216,
        "steps": 30,
    }


def test_upstream_error_is_normalised(stability_gateway, fake_provider):
    res = post(stability_gateway, fake_provider, {"model": "sd3.9-unreleased", "prompt": "fox"})
    assert res.status_code == 400
    assert res.json() == {
        "error": {
            "message": "stability-ai error: model: must be one of "
            "sd3.5-flash, sd3.5-large, sd3.5-large-turbo, sd3.5-medium",
            "type": "bad_request",
            "param": None,
            "code": "bad_request",
            "provider": "stability-ai",
        }
    }
    assert len(fake_provider.requests_to("stability-ai")) == 1


def test_n3_on_v2beta_is_three_calls_in_parallel_and_one_answer(stability_gateway, fake_provider):
    body = {"prompt": "a red fox", "n": 3, "seed": 7, "response_format": "b64_json"}
    res = requests.post(
        stability_gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "Authorization": f"Bearer {KEY}",
            "x-portkey-provider": "stability-ai",
            "x-portkey-custom-host": fake_provider.host("stability-ai"),
            "x-portkey-trace-id": "stability-fan-out",
        },
        timeout=30,
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 3
    assert res.headers["x-gateway-cost-usd"] == "0.090000"
    sent = fake_provider.requests_to("stability-ai")
    assert [r.path for r in sent] == [f"{PREFIX}/v2beta/stable-image/generate/core"] * 3
    for call in sent:  # each call asks for one image: Stability's v2beta has no n
        assert form_fields(call) == {"prompt": "a red fox", "aspect_ratio": "1:1", "seed": "7"}
    [row] = stability_gateway.log_rows("stability-fan-out")
    assert (row["n"], row["images"], row["cost_micro_usd"]) == (3, 3, 90_000)
