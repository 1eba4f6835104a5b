"""bedrock through real gunicorn against the fake Bedrock Runtime, which checks SigV4.

The fake recomputes each signature with botocore for the fixed test credentials, so a
200 proves the gateway signed exactly what it sent (path, headers, body).
"""

from __future__ import annotations

import pytest
import requests

from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes.bedrock import ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY

PREFIX = "/p/bedrock"
AWS = {
    "x-portkey-aws-access-key-id": ACCESS_KEY_ID,
    "x-portkey-aws-secret-access-key": SECRET_ACCESS_KEY,
    "x-portkey-aws-session-token": "FwoGZXIvYXdzE2ESESSION",
    "x-portkey-aws-region": "us-west-2",
}


@pytest.fixture(scope="module")
def bedrock_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body, **headers):
    return requests.post(
        gateway.url("/v1/images/generations"),
        json=body,
        headers={
            "x-portkey-provider": "bedrock",
            "x-portkey-custom-host": fake.host("bedrock"),
            **headers,
        },
        timeout=30,
    )


def test_nova_canvas_with_sigv4_and_b64_answer(bedrock_gateway, fake_provider):
    res = post(
        bedrock_gateway,
        fake_provider,
        {
            "model": "us.amazon.nova-canvas-v1:0",
            "prompt": "a red fox",
            "n": 2,
            "size": "1280x720",
            "quality": "hd",
            "seed": 12,
            "response_format": "b64_json",
        },
        **AWS,
    )
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 2
    [sent] = fake_provider.requests_to("bedrock")
    assert (sent.method, sent.path) == (
        "POST",
        f"{PREFIX}/model/us.amazon.nova-canvas-v1%3A0/invoke",
    )
    date = sent.headers["x-amz-date"]
    assert sent.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/{date[:8]}/us-west-2/bedrock/aws4_request, "
        "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token, Signature="
    )
    assert sent.headers["x-amz-security-token"] == "FwoGZXIvYXdzE2ESESSION"
    assert sent.json() == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a red fox"},
        "imageGenerationConfig": {
            "numberOfImages": 2,
            "width": 1280,
            "height": 720,
            "quality": "premium",
            "seed": 12,
        },
    }


def test_stable_image_core_with_an_api_key_as_url(bedrock_gateway, fake_provider):
    res = post(
        bedrock_gateway,
        fake_provider,
        {"prompt": "a red fox", "size": "1344x768"},
        Authorization=f"Bearer {API_KEY}",
    )
    assert res.status_code == 200, res.text
    [item] = res.json()["data"]
    image = requests.get(item["url"], timeout=30)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert image.content == TINY_PNG
    [sent] = fake_provider.requests_to("bedrock")
    assert sent.path == f"{PREFIX}/model/stability.stable-image-core-v1%3A1/invoke"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-amz-date" not in sent.headers
    assert sent.json() == {"prompt": "a red fox", "aspect_ratio": "16:9"}


def test_wrong_secret_is_aws_403_normalised(bedrock_gateway, fake_provider):
    headers = {**AWS, "x-portkey-aws-secret-access-key": "not-the-secret"}
    res = post(bedrock_gateway, fake_provider, {"prompt": "a red fox"}, **headers)
    assert res.status_code == 403
    assert res.json() == {
        "error": {
            "message": "bedrock error: The request signature we calculated does not match the "
            "signature you provided. Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.",
            "type": "InvalidSignatureException",
            "param": None,
            "code": "InvalidSignatureException",
            "provider": "bedrock",
        }
    }
    assert len(fake_provider.requests_to("bedrock")) == 1


def test_titan_n7_is_two_signed_calls_of_five_and_two(bedrock_gateway, fake_provider):
    body = {
        "model": "amazon.titan-image-generator-v2:0",
        "prompt": "a red fox",
        "n": 7,
        "response_format": "b64_json",
    }
    res = post(bedrock_gateway, fake_provider, body, **AWS)
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 7
    sent = fake_provider.requests_to("bedrock")
    # The fake checks each call's SigV4 signature: both were signed for their own body.
    counts = sorted(r.json()["imageGenerationConfig"]["numberOfImages"] for r in sent)
    assert counts == [2, 5]
    assert all(r.headers["authorization"].startswith("AWS4-HMAC-SHA256 ") for r in sent)


def test_stable_image_n2_is_two_calls_of_one_image(bedrock_gateway, fake_provider):
    body = {"prompt": "a red fox", "n": 2, "response_format": "b64_json"}
    res = post(bedrock_gateway, fake_provider, body, **AWS)
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}] * 2
    sent = fake_provider.requests_to("bedrock")
    assert [r.path for r in sent] == [
        f"{PREFIX}/model/stability.stable-image-core-v1%3A1/invoke"
    ] * 2
    assert all("n" not in r.json() for r in sent)
