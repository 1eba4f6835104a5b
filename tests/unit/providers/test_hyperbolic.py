"""Golden tests of the Hyperbolic transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.hyperbolic import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64

KEY = "hb-test-key-0123"
TARGET = Target(provider="hyperbolic", base_url=None, api_key=KEY)


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_hyperbolic():
    assert get("hyperbolic") is PROVIDER


def test_typical_request_url_headers_and_body():
    call = call_for(
        model="FLUX.1-dev",
        size="1024x768",
        n=2,
        steps=30,
        cfg_scale=5,
        negative_prompt="blurry",
        seed=7,
        backend="torch",
        response_format="url",
        quality="hd",
    )
    assert (call.method, call.url) == ("POST", "https://api.hyperbolic.xyz/v1/image/generation")
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"model_name":"FLUX.1-dev","prompt":"a red fox","width":1024,"height":768,'
        b'"n":2,"steps":30,"cfg_scale":5,"negative_prompt":"blurry","seed":7,"backend":"torch"}'
    )


def test_defaults_name_the_model_in_model_name():
    assert call_for().body == b'{"model_name":"SDXL1.0-base","prompt":"a red fox"}'


def test_portkeys_width_and_height_are_used_when_size_is_absent():
    body = json.loads(call_for(width=512, height=640).body)
    assert (body["width"], body["height"]) == (512, 640)
    body = json.loads(call_for(size="768x512", width=512, height=640).body)
    assert (body["width"], body["height"]) == (768, 512)


def test_sdxl_only_fields_pass_for_sdxl():
    body = json.loads(call_for(prompt_2="snow", enable_refiner=True).body)
    assert (body["prompt_2"], body["enable_refiner"]) == ("snow", True)


def test_custom_host_replaces_the_base():
    target = Target(provider="hyperbolic", base_url="http://127.0.0.1:9/p/hb/v1", api_key=KEY)
    assert call_for(target).url == "http://127.0.0.1:9/p/hb/v1/image/generation"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 11}, "n"),
        ({"size": "4096x1024"}, "size"),
        ({"model": "FLUX.1-dev", "size": "32x32"}, "size"),
        ({"backend": "gpu"}, "backend"),
        ({"model": "FLUX.1-dev", "enable_refiner": True}, "enable_refiner"),
    ],
)
def test_capability_violations_are_400_naming_the_parameter(body, param):
    with pytest.raises(InvalidRequest) as info:
        request_for(**body)
    assert info.value.param == param


def test_native_answer_becomes_base64_images():
    native = {
        "images": [
            {"index": 0, "image": TINY_PNG_B64, "random_seed": 1},
            {"index": 1, "image": TINY_PNG_B64},
        ],
        "inference_time": 1.5,
    }
    result = PROVIDER.parse_reply(reply(200, native), request_for(n=2))
    assert (result.status, result.body, result.created) == (200, b"", None)
    assert result.images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(b64_json=TINY_PNG_B64),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": "Unauthorized"}, "Unauthorized"),
        ({"object": "error", "message": "bad model", "type": "BadRequestError"}, "bad model"),
        ({"error": {"message": "bad model"}}, "bad model"),
        (
            {"detail": [{"loc": ["body", "prompt"], "msg": "field required"}]},
            "body.prompt: field required",
        ),
    ],
)
def test_errors_keep_status_and_text(body, message):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, body), request_for())
    assert (info.value.status, info.value.message, info.value.provider) == (
        400,
        f"hyperbolic error: {message}",
        "hyperbolic",
    )


def test_error_inside_a_200_raises():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"detail": "model busy"}), request_for())
    assert (info.value.status, info.value.message) == (502, "hyperbolic error: model busy")


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ({"images": []}, "application/json"),
        ({"images": [{"url": "u"}]}, "application/json"),
        ({"inference_time": 1}, "application/json"),
        (b"\xff\xd8\xff", "image/jpeg"),
    ],
)
def test_other_2xx_bodies_are_invalid_answers(payload, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, payload, content_type), request_for())
