"""fireworks-ai through real gunicorn against the fake Fireworks image API."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64

KEY = "fw-e2e-0123456789"
PREFIX = "/p/fireworks-ai"


@pytest.fixture(scope="module")
def fireworks_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body):
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "Authorization": f"Bearer {KEY}",
            "x-portkey-provider": "fireworks-ai",
            "x-portkey-custom-host": fake.host("fireworks-ai"),
        },
        timeout=30,
    )


def test_flux_workflow_call_and_b64_answer(fireworks_gateway, fake_provider):
    res = post(
        fireworks_gateway,
        fake_provider,
        {"prompt": "a red fox", "size": "1344x768", "seed": 3, "response_format": "b64_json"},
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("fireworks-ai")
    assert (sent.method, sent.path) == (
        "POST",
        f"{PREFIX}/workflows/accounts/fireworks/models/flux-1-schnell-fp8/text_to_image",
    )
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "application/json"
    assert sent.json() == {"prompt": "a red fox", "aspect_ratio": "16:9", "seed": 3}


def test_sdxl_samples_as_urls_are_gateway_hosted_pngs(fireworks_gateway, fake_provider):
    res = post(
        fireworks_gateway,
        fake_provider,
        {
            "model": "accounts/fireworks/models/stable-diffusion-xl-1024-v1-0",
            "prompt": "a red fox",
            "n": 2,
            "size": "832x1216",
            "cfg_scale": 7,
        },
    )
    assert res.status_code == 200, res.text
    urls = [item["url"] for item in res.json()["data"]]
    assert len(urls) == 2
    [sent] = fake_provider.requests_to("fireworks-ai")
    assert sent.path == (
        f"{PREFIX}/image_generation/accounts/fireworks/models/stable-diffusion-xl-1024-v1-0"
    )
    assert sent.json() == {
        "prompt": "a red fox",
        "height": 1216,
        "width": 832,
        "samples": 2,
        "cfg_scale": 7,
    }
    for url in urls:
        assert url.startswith(fireworks_gateway.base_url)
        image = requests.get(url, timeout=30)
        assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
        assert image.content == TINY_PNG


def test_upstream_error_is_normalised(fireworks_gateway, fake_provider):
    res = post(
        fireworks_gateway, fake_provider, {"model": "accounts/acme/models/nope", "prompt": "p"}
    )
    assert res.status_code == 404
    assert res.json() == {
        "error": {
            "message": "fireworks-ai error: Model not found: "
            "image_generation/accounts/acme/models/nope",
            "type": "invalid_request_error",
            "param": None,
            "code": "upstream_404",
            "provider": "fireworks-ai",
        }
    }
