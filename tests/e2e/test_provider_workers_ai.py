"""workers-ai through real gunicorn against the fake Cloudflare Workers AI REST API."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes.workers_ai import TOKEN

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
PREFIX = "/p/workers-ai"
RUN = f"{PREFIX}/client/v4/accounts/{ACCOUNT}/ai/run"


@pytest.fixture(scope="module")
def workers_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body):
    # Like Cloudflare's AI Gateway URL, the custom host replaces the whole ".../ai/run".
    host = f"{fake.host('workers-ai')}/client/v4/accounts/{ACCOUNT}/ai/run"
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "x-portkey-provider": "workers-ai",
            "x-portkey-custom-host": host,
        },
        timeout=30,
    )


def test_flux_json_answer_as_b64_json(workers_gateway, fake_provider):
    res = post(
        workers_gateway,
        fake_provider,
        {
            "prompt": "a red fox",
            "steps": 4,
            "seed": 7,
            "quality": "hd",
            "response_format": "b64_json",
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("workers-ai")
    assert (sent.method, sent.path) == ("POST", f"{RUN}/@cf/black-forest-labs/flux-1-schnell")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"prompt": "a red fox", "steps": 4, "seed": 7}


def test_sdxl_raw_png_as_url_and_as_b64_json(workers_gateway, fake_provider):
    body = {
        "model": "@cf/stabilityai/stable-diffusion-xl-base-1.0",
        "prompt": "a red fox",
        "size": "768x512",
        "steps": 20,
        "negative_prompt": "blurry",
    }
    res = post(workers_gateway, fake_provider, body)
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    assert item["url"].startswith(workers_gateway.base_url + "/v1/images/files/")
    image = requests.get(item["url"], timeout=30)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG
    [sent] = fake_provider.requests_to("workers-ai")
    assert sent.path == f"{RUN}/@cf/stabilityai/stable-diffusion-xl-base-1.0"
    assert sent.json() == {
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "num_steps": 20,
        "width": 768,
        "height": 512,
    }
    res = post(workers_gateway, fake_provider, {**body, "response_format": "b64_json"})
    assert res.status_code == 200, res.text
    assert base64.b64decode(res.json()["data"][0]["b64_json"]) == TINY_PNG


def test_cloudflare_error_is_normalised(workers_gateway, fake_provider):
    res = post(workers_gateway, fake_provider, {"model": "@cf/nope/missing", "prompt": "fox"})
    assert res.status_code == 400
    assert res.json() == {
        "error": {
            "message": "workers-ai error: No such model @cf/nope/missing or task",
            "type": "upstream_error",
            "param": None,
            "code": "5007",
            "provider": "workers-ai",
        }
    }
    assert len(fake_provider.requests_to("workers-ai")) == 1
