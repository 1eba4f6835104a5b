"""OpenAI's gpt-image rules under gunicorn, with the fake OpenAI upstream (base64 for gpt-image)."""

from __future__ import annotations

import json

import pytest

from .fakes import TINY_PNG

IMAGES = "/v1/images/generations"
AUTH = {"Authorization": "Bearer sk-test-e2e-rules-0123456789abcdef"}


def post(http, gateway, body):
    return http.post(gateway.url(IMAGES), json=body, headers=AUTH, timeout=30)


def test_gpt_image_1_url_is_a_gateway_link_to_the_png(http, gateway, fake_provider):
    body = {"model": "gpt-image-1", "prompt": "a red fox", "response_format": "url", "n": 2}
    response = post(http, gateway, body)

    assert response.status_code == 200, response.text
    [sent] = fake_provider.requests
    assert sent.json() == {"model": "gpt-image-1", "prompt": "a red fox", "n": 2}
    items = response.json()["data"]
    assert len(items) == 2
    for item in items:
        assert set(item) >= {"url"}
        assert "b64_json" not in item
        assert item["url"].startswith(gateway.url("/v1/images/files/"))
        image = http.get(item["url"], timeout=10)
        assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
        assert image.content == TINY_PNG


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        (
            {"model": "gpt-image-1", "prompt": "p", "output_compression": 50},
            "output_compression",
            "For model 'gpt-image-1', 'output_compression' needs 'output_format' jpeg or webp; "
            "got png (the default).",
        ),
        (
            {
                "model": "gpt-image-1",
                "prompt": "p",
                "background": "transparent",
                "output_format": "jpeg",
            },
            "background",
            "For model 'gpt-image-1', 'background' transparent needs 'output_format' png or "
            "webp; got jpeg.",
        ),
        (
            {"model": "gpt-image-1", "prompt": "p", "stream": True},
            "stream",
            "Invalid value for 'stream': streaming is not supported by the gateway yet; leave "
            "'stream' out or send false.",
        ),
        (
            {"model": "dall-e-2", "prompt": "p", "style": "vivid"},
            "style",
            "'style' is not supported by model 'dall-e-2'.",
        ),
    ],
    ids=["compression-png", "transparent-jpeg", "stream", "dall-e-2-style"],
)
def test_refused_combinations_never_reach_openai(
    http, gateway, fake_provider, body, param, message
):
    response = post(http, gateway, body)

    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": "invalid_value",
        }
    }
    assert fake_provider.requests == []


def test_accepted_combination_and_stream_false_are_forwarded_as_sent(http, gateway, fake_provider):
    body = {
        "model": "gpt-image-1",
        "prompt": "p",
        "background": "transparent",
        "output_format": "webp",
        "output_compression": 60,
        "stream": False,
        "response_format": "b64_json",
    }
    response = post(http, gateway, body)

    assert response.status_code == 200, response.text
    assert "b64_json" in response.json()["data"][0]
    [sent] = fake_provider.requests
    assert json.loads(sent.body) == {k: v for k, v in body.items() if k != "response_format"}
