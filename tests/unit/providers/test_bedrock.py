"""Golden tests of the Bedrock transforms both ways; no HTTP.

Shapes follow the Bedrock user guide's model parameter pages (Stability SDXL, Stable
Image Core/Ultra, SD3.5, Titan Image Generator G1) and the Nova Canvas user guide.
"""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import AwsSigning, GeneratedImage, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.bedrock import PROVIDER
from gateway.providers.capabilities import resolve
from tests.e2e.fakes import TINY_PNG_B64

KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG"}
TARGET = Target(provider="bedrock", base_url=None, api_key="", options=KEYS)
NOVA = "amazon.nova-canvas-v1:0"
TITAN = "amazon.titan-image-generator-v2:0"
SDXL = "stability.stable-diffusion-xl-v1"
ULTRA = "stability.stable-image-ultra-v1:1"


def request_for(params: dict):
    return resolve(PROVIDER.capabilities, params, json.dumps(params).encode())


def call_for(params: dict, target: Target = TARGET):
    return PROVIDER.build_call(request_for(params), target)


def body_for(params: dict) -> dict:
    return json.loads(call_for({"prompt": "a red fox", **params}).body)


def reply(status: int, payload, content_type: str = "application/json", **headers: str):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_registry_has_bedrock():
    assert get("bedrock") is PROVIDER


def test_access_keys_mean_sigv4_applied_later():
    call = call_for({"prompt": "a red fox"})
    assert (call.method, call.url) == (
        "POST",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
        "stability.stable-image-core-v1%3A1/invoke",
    )
    assert call.headers == {"Content-Type": "application/json", "Accept": "application/json"}
    assert call.signing == AwsSigning(
        "bedrock", "us-east-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG"
    )
    assert call.body == b'{"prompt":"a red fox","aspect_ratio":"1:1"}'


def test_session_token_and_region_are_used():
    target = Target(
        provider="bedrock",
        base_url=None,
        api_key="",
        options={**KEYS, "aws_session_token": "FwoGZXIvYXdz", "aws_region": "EU-West-1"},
    )
    call = call_for({"prompt": "p", "model": "eu." + NOVA}, target)
    assert call.url == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/eu.amazon.nova-canvas-v1%3A0/invoke"
    )
    assert call.signing == AwsSigning(
        "bedrock", "eu-west-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdz"
    )


def test_virtual_key_secret_is_the_secret_access_key():
    target = Target(
        provider="bedrock",
        base_url=None,
        api_key="vk-secret-access-key",
        options={"aws_access_key_id": "AKIDVK", "aws_region": "us-west-2"},
    )
    call = call_for({"prompt": "p"}, target)
    assert call.signing == AwsSigning("bedrock", "us-west-2", "AKIDVK", "vk-secret-access-key")
    assert "Authorization" not in call.headers


def test_bedrock_api_key_alone_is_a_bearer_token_without_signing():
    target = Target(provider="bedrock", base_url=None, api_key="ABSKQmVkcm9jaw==")
    call = call_for({"prompt": "p"}, target)
    assert call.headers["Authorization"] == "Bearer ABSKQmVkcm9jaw=="
    assert call.signing is None


def test_custom_host_keeps_the_invoke_path():
    target = Target(
        provider="bedrock",
        base_url="http://127.0.0.1:9/p/bedrock/",
        api_key="",
        options=KEYS,
        forward_headers=(("x-team", "a"), ("x-amz-date", "20000101T000000Z"), ("host", "h")),
    )
    call = call_for({"prompt": "p", "model": TITAN}, target)
    assert (
        call.url == "http://127.0.0.1:9/p/bedrock/model/amazon.titan-image-generator-v2%3A0/invoke"
    )
    assert call.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "x-team": "a",
    }


@pytest.mark.parametrize(
    ("api_key", "options", "ok"),
    [
        (None, KEYS, True),
        ("secret", {"aws_access_key_id": "AKID"}, True),
        ("ABSK-key", {}, True),
        (None, {"aws_access_key_id": "AKID"}, False),
        (None, {"aws_secret_access_key": "s"}, False),
        ("k", {"aws_secret_access_key": "s"}, False),
        (None, {}, False),
    ],
)
def test_credentials(api_key, options, ok):
    missing = PROVIDER.credentials(api_key, options)
    assert (missing is None) == ok
    if not ok:
        assert "x-portkey-aws-access-key-id" in missing


def test_sdxl_body():
    assert body_for(
        {
            "model": SDXL,
            "size": "1344x768",
            "style": "cinematic",
            "negative_prompt": "blurry",
            "cfg_scale": 7,
            "steps": 30,
            "seed": 42,
            "quality": "hd",  # OpenAI's: accepted, not sent
        }
    ) == {
        "text_prompts": [{"text": "a red fox", "weight": 1}, {"text": "blurry", "weight": -1}],
        "samples": 1,
        "width": 1344,
        "height": 768,
        "style_preset": "cinematic",
        "cfg_scale": 7,
        "steps": 30,
        "seed": 42,
    }


def test_sdxl_openai_style_is_not_sent():
    assert body_for({"model": SDXL, "style": "vivid"}) == {
        "text_prompts": [{"text": "a red fox", "weight": 1}],
        "samples": 1,
        "width": 1024,
        "height": 1024,
    }


def test_stable_image_body():
    assert body_for(
        {
            "model": "us." + ULTRA,
            "size": "1344x768",
            "negative_prompt": "blurry",
            "seed": 9,
            "output_format": "jpeg",
            "style": "natural",
            "user": "u",
        }
    ) == {
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "aspect_ratio": "16:9",
        "seed": 9,
        "output_format": "jpeg",
    }
    assert body_for({"model": ULTRA, "aspect_ratio": "9:21"})["aspect_ratio"] == "9:21"
    assert "aspect_ratio" not in body_for({"model": ULTRA, "size": "auto"})
    # An unknown Stability model: any size, the nearest ratio.
    unknown = body_for({"model": "stability.sd4-v1:0", "size": "1792x1024"})
    assert unknown == {"prompt": "a red fox", "aspect_ratio": "16:9"}


@pytest.mark.parametrize("model", [TITAN, "amazon.titan-image-generator-v1", NOVA])
def test_amazon_body(model):
    assert body_for(
        {
            "model": model,
            "n": 3,
            "size": "1152x640",
            "quality": "hd",
            "negative_prompt": "blurry",
            "cfg_scale": 6.5,
            "seed": 12,
        }
    ) == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a red fox", "negativeText": "blurry"},
        "imageGenerationConfig": {
            "numberOfImages": 3,
            "width": 1152,
            "height": 640,
            "quality": "premium",
            "cfgScale": 6.5,
            "seed": 12,
        },
    }


def test_nova_style_and_free_size():
    assert body_for({"model": NOVA, "size": "1280x720", "style": "PHOTOREALISM"}) == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a red fox", "style": "PHOTOREALISM"},
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "width": 1280,
            "height": 720,
            "quality": "standard",
        },
    }


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),  # Stable Image: one per call, up to 10 calls
        ({"model": "stability.sd4-v1:0", "n": 2}, "n"),
        ({"size": "1792x1024"}, "size"),
        ({"aspect_ratio": "16:9", "size": "1024x1024"}, "aspect_ratio"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"output_format": "webp"}, "output_format"),
        ({"seed": 4294967295}, "seed"),
        ({"cfg_scale": 5}, "cfg_scale"),  # not a Stable Image parameter
        ({"quality": "premium"}, "quality"),
        ({"model": SDXL, "size": "1024x768"}, "size"),
        ({"model": SDXL, "n": 11}, "n"),
        ({"model": SDXL, "cfg_scale": 36}, "cfg_scale"),
        ({"model": SDXL, "steps": 5}, "steps"),
        ({"model": SDXL, "steps": 20.5}, "steps"),
        ({"model": SDXL, "style": "oil"}, "style"),
        ({"model": SDXL, "negative_prompt": ""}, "negative_prompt"),
        ({"model": TITAN, "size": "1792x1024"}, "size"),
        ({"model": TITAN, "size": "auto"}, "size"),
        ({"model": TITAN, "n": 11}, "n"),
        ({"model": TITAN, "cfg_scale": 1.0}, "cfg_scale"),
        ({"model": TITAN, "seed": 2147483647}, "seed"),
        ({"model": TITAN, "style": "PHOTOREALISM"}, "style"),
        ({"model": TITAN, "steps": 30}, "steps"),
        ({"model": NOVA, "size": "1000x1000"}, "size"),  # not a multiple of 16
        ({"model": NOVA, "size": "2048x2048"}, "size"),  # 4,194,304 pixels: too many
        ({"model": NOVA, "size": "320x1600"}, "size"),  # 5:1
        ({"model": NOVA, "size": "4112x320"}, "size"),
        ({"model": NOVA, "seed": 858993460}, "seed"),
        ({"model": NOVA, "seed": True}, "seed"),
        ({"model": "meta.llama3-70b-instruct-v1:0"}, "model"),
        ({"model": "arn:aws:bedrock:us-east-1:123:inference-profile/x"}, "model"),
    ],
)
def test_what_a_model_cannot_take_is_a_400_naming_the_parameter(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param


def test_titan_prompt_limit():
    with pytest.raises(InvalidRequest) as info:
        request_for({"prompt": "p" * 513, "model": TITAN})
    assert info.value.param == "prompt"


def test_bad_region_is_refused():
    target = Target(provider="bedrock", base_url=None, api_key="k", options={"aws_region": "a.b"})
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p"}, target)
    assert info.value.param == "aws_region"


def test_sdxl_artifacts_become_images():
    payload = {
        "result": "success",
        "artifacts": [
            {"seed": 1, "base64": TINY_PNG_B64, "finishReason": "SUCCESS"},
            {"seed": 2, "base64": "not an image", "finishReason": "ERROR"},
        ],
    }
    result = PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", "model": SDXL}))
    assert result == ImageResult(200, images=(GeneratedImage(b64_json=TINY_PNG_B64),))


def test_sdxl_error_artifacts_alone_are_a_502():
    payload = {"result": "success", "artifacts": [{"seed": 1, "finishReason": "ERROR"}]}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", "model": SDXL}))
    assert (info.value.status, info.value.message) == (502, "bedrock error: ERROR")


def test_stable_image_answer_and_its_format():
    payload = {"seeds": [2130420379], "finish_reasons": [None], "images": ["/9j/4AAQ"]}
    request = request_for({"prompt": "p", "model": ULTRA, "output_format": "jpeg"})
    result = PROVIDER.parse_reply(reply(200, payload), request)
    assert result == ImageResult(
        200, images=(GeneratedImage(b64_json="/9j/4AAQ", content_type="image/jpeg"),)
    )


def test_amazon_images():
    request = request_for({"prompt": "p", "model": NOVA, "n": 2})
    result = PROVIDER.parse_reply(reply(200, {"images": [TINY_PNG_B64, TINY_PNG_B64]}), request)
    assert result.images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(b64_json=TINY_PNG_B64),
    )


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (NOVA, {"images": []}),
        (NOVA, {"nothing": 1}),
        (SDXL, {"artifacts": []}),
        (ULTRA, {"images": [None]}),
        (NOVA, b"[1]"),
    ],
)
def test_200_that_is_not_an_answer_raises(model, payload):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", "model": model}))


@pytest.mark.parametrize(
    ("status", "kind", "message", "retry"),
    [
        (400, "ValidationException", "Malformed input request: #: extraneous key [n]", False),
        (403, "AccessDeniedException", "You don't have access to the model.", False),
        (
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match",
            False,
        ),
        (429, "ThrottlingException", "Too many requests, please wait before trying again.", True),
    ],
)
def test_aws_error_keeps_status_and_error_type(status, kind, message, retry):
    error_type = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(status, {"message": message}, **{"x-amzn-errortype": error_type}),
            request_for({"prompt": "p"}),
        )
    assert info.value.status == status
    assert info.value.should_retry is retry
    assert info.value.to_body() == {
        "error": {
            "message": f"bedrock error: {message}",
            "type": kind,
            "param": None,
            "code": kind,
            "provider": "bedrock",
        }
    }


def test_error_without_type_header_and_non_json_error():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(500, {"Message": "boom"}), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.code, info.value.message) == (
        500,
        "upstream_500",
        "bedrock error: boom",
    )
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(reply(503, b"<html/>", "text/html"), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.provider) == (502, "bedrock")
