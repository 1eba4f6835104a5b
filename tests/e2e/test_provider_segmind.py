"""segmind through real gunicorn against the fake Segmind API."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64

KEY = "SG_e2e0123456789"
PREFIX = "/p/segmind"


@pytest.fixture(scope="module")
def segmind_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body):
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "Authorization": f"Bearer {KEY}",
            "x-portkey-provider": "segmind",
            "x-portkey-custom-host": fake.host("segmind"),
        },
        timeout=30,
    )


def test_sdxl_call_with_samples_as_b64(segmind_gateway, fake_provider):
    res = post(
        segmind_gateway,
        fake_provider,
        {
            "prompt": "a red fox",
            "n": 2,
            "size": "896x1152",
            "negative_prompt": "blur",
            "steps": 25,
            "response_format": "b64_json",
        },
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 2
    [sent] = fake_provider.requests_to("segmind")
    assert (sent.method, sent.path) == ("POST", f"{PREFIX}/sdxl1.0-txt2img")
    assert sent.headers["x-api-key"] == KEY
    assert "authorization" not in sent.headers
    assert sent.json() == {
        "prompt": "a red fox",
        "samples": 2,
        "img_width": 896,
        "img_height": 1152,
        "negative_prompt": "blur",
        "num_inference_steps": 25,
        "base64": True,
    }


def test_raw_image_answer_as_url_and_as_b64(segmind_gateway, fake_provider):
    res = post(segmind_gateway, fake_provider, {"model": "raw-sdxl", "prompt": "a red fox"})
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    image = requests.get(item["url"], timeout=30)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG
    res = post(
        segmind_gateway,
        fake_provider,
        {"model": "raw-sdxl", "prompt": "a red fox", "response_format": "b64_json"},
    )
    assert base64.b64decode(res.json()["data"][0]["b64_json"]) == TINY_PNG


def test_upstream_error_is_normalised(segmind_gateway, fake_provider):
    res = post(segmind_gateway, fake_provider, {"prompt": "no credits"})
    assert res.status_code == 406
    assert res.json() == {
        "error": {
            "message": "segmind error: Not enough credits",
            "type": "upstream_error",
            "param": None,
            "code": "upstream_406",
            "provider": "segmind",
        }
    }
