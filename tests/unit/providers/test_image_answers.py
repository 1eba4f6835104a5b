"""Every provider's image answers are checked: base64 that is no image, raw bodies too.

One table for all providers that answer base64 (``answers.b64_image``) or raw image
bytes (``answers.raw_image``): a 2xx that holds no real image is a 502, so fallback
moves on instead of handing the caller a broken file.
"""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidUpstreamResponse
from gateway.models import ProviderReply
from gateway.providers import get
from gateway.providers.capabilities import resolve

NOT_AN_IMAGE = [
    # base64 of "<html>error</html>": decodes, but to no image
    ("PGh0bWw+ZXJyb3I8L2h0bWw+", "an image is not a PNG, JPEG, WebP or GIF"),
    ("not base64!", "an image is not valid base64"),
]
# provider -> (request parameters, its 2xx answer around one base64 image)
BASE64_ANSWERS = {
    "bedrock": ({"model": "amazon.nova-canvas-v1:0"}, lambda b64: {"images": [b64]}),
    "fireworks-ai": ({}, lambda b64: [{"base64": b64, "finishReason": "SUCCESS"}]),
    "hyperbolic": ({}, lambda b64: {"images": [{"image": b64}]}),
    "segmind": ({}, lambda b64: {"image": b64}),
    "stability-ai": ({}, lambda b64: {"image": b64, "finish_reason": "SUCCESS"}),
    "vertex-ai": ({}, lambda b64: {"predictions": [{"bytesBase64Encoded": b64}]}),
    "workers-ai": ({}, lambda b64: {"result": {"image": b64}, "success": True}),
}
RAW_IMAGE_PROVIDERS = ("fireworks-ai", "segmind", "stability-ai", "together-ai", "workers-ai")


def request_for(provider: str, params: dict):
    body = {"prompt": "p", **params}
    return resolve(get(provider).capabilities, body, json.dumps(body).encode())


@pytest.mark.parametrize("provider", sorted(BASE64_ANSWERS))
@pytest.mark.parametrize(("value", "why"), NOT_AN_IMAGE)
def test_base64_that_is_not_an_image_is_a_502(provider, value, why):
    params, answer = BASE64_ANSWERS[provider]
    body = json.dumps(answer(value)).encode()
    reply = ProviderReply(200, {"content-type": "application/json"}, body)
    with pytest.raises(InvalidUpstreamResponse) as info:
        get(provider).parse_reply(reply, request_for(provider, params))
    assert (info.value.status, info.value.code) == (502, "upstream_invalid_response")
    assert info.value.message == f"{provider} answered HTTP 200 but {why}."


@pytest.mark.parametrize("provider", RAW_IMAGE_PROVIDERS)
@pytest.mark.parametrize("body", [b"", b"<html>error</html>"])
def test_raw_image_body_that_is_not_an_image_is_a_502(provider, body):
    reply = ProviderReply(200, {"content-type": "image/png"}, body)
    with pytest.raises(InvalidUpstreamResponse) as info:
        get(provider).parse_reply(reply, request_for(provider, {}))
    assert (info.value.status, info.value.code) == (502, "upstream_invalid_response")
    assert info.value.message == (
        f"{provider} answered HTTP 200 but its body is not a PNG, JPEG, WebP or GIF image."
    )
