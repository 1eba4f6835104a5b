"""OpenAI's cross-field rules, checked before any call: exact 400 bodies, no upstream call."""

from __future__ import annotations

import json

import pytest

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.factories import OPENAI_URL, auth_headers, encode, image_body

URL = "/v1/images/generations"
NO_STREAMING = "Streaming is not supported by the gateway yet, so partial images cannot be sent."


def invalid(param, message):
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": "invalid_value",
        }
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            image_body(model="dall-e-2", style="vivid"),
            invalid("style", "'style' is not supported by model 'dall-e-2'."),
        ),
        (
            {"prompt": "a fox", "style": "natural"},  # dall-e-2, OpenAI's default model
            invalid("style", "'style' is not supported by model 'dall-e-2'."),
        ),
        (
            image_body(model="gpt-image-1", output_compression=80),
            invalid(
                "output_compression",
                "For model 'gpt-image-1', 'output_compression' needs 'output_format' jpeg or "
                "webp; got png (the default).",
            ),
        ),
        (
            image_body(model="gpt-image-1-mini", output_format="png", output_compression=80),
            invalid(
                "output_compression",
                "For model 'gpt-image-1-mini', 'output_compression' needs 'output_format' jpeg "
                "or webp; got png.",
            ),
        ),
        (
            image_body(model="gpt-image-1.5", background="transparent", output_format="jpeg"),
            invalid(
                "background",
                "For model 'gpt-image-1.5', 'background' transparent needs 'output_format' png "
                "or webp; got jpeg.",
            ),
        ),
        (
            image_body(model="gpt-image-1", partial_images=2),
            invalid(
                "partial_images",
                "For model 'gpt-image-1', 'partial_images' needs 'stream' true; got false (the "
                f"default). {NO_STREAMING}",
            ),
        ),
        (
            image_body(model="gpt-image-1", partial_images=2, stream=False),
            invalid(
                "partial_images",
                f"For model 'gpt-image-1', 'partial_images' needs 'stream' true; got false. "
                f"{NO_STREAMING}",
            ),
        ),
        (
            image_body(model="gpt-image-1", stream=True, partial_images=2),
            invalid(
                "stream",
                "Invalid value for 'stream': streaming is not supported by the gateway yet; "
                "leave 'stream' out or send false.",
            ),
        ),
        (
            image_body(model="gpt-image-1", partial_images=4),
            invalid(
                "partial_images",
                "Invalid value for 'partial_images': Must be greater than or equal to 0 and "
                "less than or equal to 3.",
            ),
        ),
        (
            image_body(model="dall-e-3", partial_images=1),
            invalid(
                "partial_images",
                "'partial_images' is only supported by gpt-image models, not by model 'dall-e-3'.",
            ),
        ),
        (
            image_body(model="gpt-image-2", size="3840x1024"),
            invalid(
                "size",
                "'size' 3840x1024 is not supported by model 'gpt-image-2': the long side may be "
                "at most 3 times the short one.",
            ),
        ),
    ],
    ids=[
        "dall-e-2-style",
        "default-model-style",
        "compression-default-png",
        "compression-png",
        "transparent-jpeg",
        "partial-images-no-stream",
        "partial-images-stream-false",
        "stream-true",
        "partial-images-4",
        "partial-images-dall-e-3",
        "gpt-image-2-ratio",
    ],
)
def test_refused_combinations_are_400_before_any_call(client, upstream, body, expected):
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert (res.status_code, res.get_json()) == (400, expected)
    assert len(upstream.calls) == 0


@pytest.mark.parametrize(
    "body",
    [
        image_body(model="dall-e-3", style="natural"),
        image_body(model="gpt-image-1", background="transparent"),
        image_body(model="gpt-image-1", background="transparent", output_format="webp"),
        image_body(model="gpt-image-1", output_format="jpeg", output_compression=0),
        image_body(model="gpt-image-1", stream=False),
        image_body(model="gpt-image-2", size="1536x864", quality="high"),
    ],
    ids=["dall-e-3-style", "transparent", "transparent-webp", "jpeg-0", "stream-false", "g2"],
)
def test_accepted_combinations_reach_openai_as_sent(client, upstream, body):
    upstream.post(OPENAI_URL, json={"created": 1, "data": [{"b64_json": TINY_PNG_B64}]})
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 200, res.get_data()
    assert json.loads(upstream.calls[0].request.body) == body


def test_gpt_image_1_asked_for_url_gets_a_gateway_link_to_the_png(client, upstream):
    upstream.post(OPENAI_URL, json={"created": 5, "data": [{"b64_json": TINY_PNG_B64}]})
    body = image_body(model="gpt-image-1", response_format="url", quality="low")
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 200, res.get_data()
    assert json.loads(upstream.calls[0].request.body) == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse at dusk",
        "quality": "low",
    }
    answer = res.get_json()
    assert answer["created"] == 5
    [item] = answer["data"]
    assert set(item) == {"url"}
    assert item["url"].startswith("http://localhost/v1/images/files/")
    image = client.get(item["url"])
    assert (image.status_code, image.content_type, image.data) == (200, "image/png", TINY_PNG)


def test_newer_gpt_image_model_gets_no_response_format_and_a_gateway_link(client, upstream):
    upstream.post(OPENAI_URL, json={"created": 5, "data": [{"b64_json": TINY_PNG_B64}]})
    body = {"model": "gpt-image-2.5-flare", "prompt": "a fox", "response_format": "url"}
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 200, res.get_data()
    assert json.loads(upstream.calls[0].request.body) == {
        "model": "gpt-image-2.5-flare",
        "prompt": "a fox",
    }
    assert client.get(res.get_json()["data"][0]["url"]).data == TINY_PNG
