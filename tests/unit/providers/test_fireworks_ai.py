"""Golden tests of the Fireworks AI transforms (SDXL image_generation, FLUX workflows)."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.fireworks_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64

KEY = "fw-0123456789abcdef"
TARGET = Target(provider="fireworks-ai", base_url=None, api_key=KEY)
BASE = "https://api.fireworks.ai/inference/v1"
HEADERS = {
    "Authorization": f"Bearer {KEY}",
    "Content-Type": "application/json",
    "Accept": "application/json",
}
SDXL = "accounts/fireworks/models/stable-diffusion-xl-1024-v1-0"


def request_for(params):
    return resolve(PROVIDER.capabilities, dict(params), json.dumps(params).encode())


def call_for(params, target=TARGET):
    return PROVIDER.build_call(request_for(params), target)


def reply(status, body, content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_fireworks_ai():
    assert get("fireworks-ai") is PROVIDER


def test_default_model_is_flux_schnell_workflow():
    call = call_for({"prompt": "a red fox"})
    assert (call.method, call.url) == (
        "POST",
        f"{BASE}/workflows/accounts/fireworks/models/flux-1-schnell-fp8/text_to_image",
    )
    assert call.headers == HEADERS
    assert call.body == b'{"prompt":"a red fox","aspect_ratio":"1:1"}'


def test_flux_maps_size_and_passes_its_parameters():
    call = call_for(
        {
            "model": "accounts/fireworks/models/flux-1-dev-fp8",
            "prompt": "p",
            "size": "1152x864",
            "guidance_scale": 3.5,
            "num_inference_steps": 28,
            "seed": 9,
            "safety_check": True,
            "style": "natural",
            "quality": "hd",
            "user": "u",
            "response_format": "b64_json",
        }
    )
    assert call.url == f"{BASE}/workflows/accounts/fireworks/models/flux-1-dev-fp8/text_to_image"
    assert call.body == (
        b'{"prompt":"p","aspect_ratio":"4:3","guidance_scale":3.5,'
        b'"num_inference_steps":28,"seed":9,"safety_check":true}'
    )


def test_flux_aspect_ratio_field_and_auto_size():
    assert json.loads(call_for({"prompt": "p", "aspect_ratio": "9:21"}).body) == {
        "prompt": "p",
        "aspect_ratio": "9:21",
    }
    assert json.loads(call_for({"prompt": "p", "size": "auto"}).body) == {"prompt": "p"}


def test_sdxl_family_exact_body_short_and_full_names():
    params = {
        "prompt": "a fox",
        "n": 4,
        "size": "1344x768",
        "cfg_scale": 7,
        "sampler": "K_EULER",
        "steps": 30,
        "seed": 0,
        "safety_check": False,
        "lora_adapter_name": "ad",
        "lora_weight_filename": "w.safetensors",
        "negative_prompt": "dropped as Portkey does",
    }
    for model in ("stable-diffusion-xl-1024-v1-0", SDXL):
        call = call_for({"model": model, **params})
        assert call.url == f"{BASE}/image_generation/{SDXL}"
        assert call.headers == HEADERS
        assert call.body == (
            b'{"prompt":"a fox","height":768,"width":1344,"samples":4,"cfg_scale":7,'
            b'"sampler":"K_EULER","seed":0,"steps":30,"safety_check":false,'
            b'"lora_adapter_name":"ad","lora_weight_filename":"w.safetensors"}'
        )


def test_unknown_models_route_by_family_and_other_accounts_work():
    flux = call_for({"model": "flux-2-pro", "prompt": "p"})
    assert flux.url == f"{BASE}/workflows/accounts/fireworks/models/flux-2-pro/text_to_image"
    mine = call_for({"model": "accounts/acme/models/my-sdxl", "prompt": "p", "size": "512x512"})
    assert mine.url == f"{BASE}/image_generation/accounts/acme/models/my-sdxl"
    assert json.loads(mine.body)["width"] == 512


def test_custom_host_replaces_the_base_and_forwarded_headers_never_override():
    target = Target(
        provider="fireworks-ai",
        base_url="http://127.0.0.1:9/p/fireworks-ai",
        api_key=KEY,
        forward_headers=(("x-team", "t"), ("accept", "image/png")),
    )
    call = call_for({"prompt": "p", "model": "SSD-1B"}, target)
    assert call.url == (
        "http://127.0.0.1:9/p/fireworks-ai/image_generation/accounts/fireworks/models/SSD-1B"
    )
    assert call.headers == {**HEADERS, "x-team": "t"}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),
        ({"size": "1024x768"}, "size"),
        ({"model": SDXL, "size": "512x512"}, "size"),
        ({"model": SDXL, "size": "auto"}, "size"),
        ({"model": SDXL, "n": 11}, "n"),
        ({"model": SDXL, "aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"model": SDXL, "safety_check": "yes"}, "safety_check"),
        ({"cfg_scale": 7}, "cfg_scale"),
        ({"steps": 20}, "steps"),
        ({"aspect_ratio": "7:3"}, "aspect_ratio"),
        ({"style": "anime"}, "style"),
        ({"quality": "high"}, "quality"),
    ],
)
def test_known_model_limits_are_400_naming_the_parameter(params, param):
    with pytest.raises(InvalidRequest) as info:
        request_for({"prompt": "p", **params})
    assert (info.value.param, info.value.status) == (param, 400)


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"model": "flux-2-pro", "n": 2}, "n"),
        ({"model": "flux-2-pro", "size": "1000x1000"}, "size"),
        ({"size": "1344x768", "aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"model": "accounts/acme/my-model"}, "model"),
        ({"model": "accounts/acme/models/a?b=1"}, "model"),
        ({"model": "../../v2/x"}, "model"),
    ],
)
def test_values_checked_when_building_the_call_are_400(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param


# --- answers -----------------------------------------------------------------------------

REQUEST = request_for({"prompt": "p"})


def test_sdxl_list_answer_is_every_image():
    body = [
        {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 1},
        {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 3},
    ]
    result = PROVIDER.parse_reply(reply(200, body, **{"retry-after-ms": "5"}), REQUEST)
    assert result == ImageResult(
        200,
        headers={"retry-after-ms": "5"},
        images=(GeneratedImage(b64_json=TINY_PNG_B64), GeneratedImage(b64_json=TINY_PNG_B64)),
    )


def test_workflow_answer_with_data_uris():
    body = {
        "id": "1234567890",
        "base64": ["data:image/png;base64," + TINY_PNG_B64, TINY_PNG_B64],
        "finishReason": "SUCCESS",
        "seed": 1234567890,
    }
    result = PROVIDER.parse_reply(reply(200, body), REQUEST)
    assert result.images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(b64_json=TINY_PNG_B64),
    )


def test_raw_image_answer():
    result = PROVIDER.parse_reply(reply(200, b"\xff\xd8\xff", "image/jpeg"), REQUEST)
    assert result.images == (GeneratedImage(data=b"\xff\xd8\xff", content_type="image/jpeg"),)


FILTERED_ERROR = {
    "error": {
        "message": "fireworks-ai error: the provider's content filter flagged the output "
        "(finish reason CONTENT_FILTERED).",
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
        "provider": "fireworks-ai",
    }
}


@pytest.mark.parametrize(
    ("body", "headers", "content_type"),
    [
        # one filtered image among good ones: the caller asked for all of them
        (
            [
                {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 1},
                {"base64": TINY_PNG_B64, "finishReason": "CONTENT_FILTERED", "seed": 2},
            ],
            {},
            "application/json",
        ),
        (
            {"base64": ["AAAA"], "finishReason": "CONTENT_FILTERED", "seed": 1},
            {},
            "application/json",
        ),
        (b"\xff\xd8\xff", {"finish-reason": "CONTENT_FILTERED"}, "image/jpeg"),
    ],
)
def test_a_filtered_image_is_a_content_policy_error(body, headers, content_type):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body, content_type, **headers), REQUEST)
    assert info.value.status == 400
    assert info.value.to_body() == FILTERED_ERROR
    assert TINY_PNG_B64 not in json.dumps(info.value.to_body())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ([], "application/json"),
        ({"seed": 1}, "application/json"),
        ({"base64": None}, "application/json"),
        ({"base64": [1]}, "application/json"),
        ([1], "application/json"),
        (b"<html>", "text/html"),
        (b"", "image/png"),
    ],
)
def test_success_that_is_not_an_image_answer_raises(body, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, content_type), REQUEST)


def test_error_inside_a_200_is_a_502():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"error": {"message": "boom", "code": "x"}}), REQUEST)
    assert (info.value.status, info.value.message) == (502, "fireworks-ai error: boom")


# --- errors ------------------------------------------------------------------------------


def error_of(status, body, **headers):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(status, body, **headers), REQUEST)
    return info.value


def test_fault_error_shape():
    failure = error_of(
        401,
        {"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "invalid_key"}}},
    )
    assert failure.status == 401
    assert failure.to_body() == {
        "error": {
            "message": "fireworks-ai error: Invalid ApiKey",
            "type": "upstream_error",
            "param": None,
            "code": "invalid_key",
            "provider": "fireworks-ai",
        }
    }


def test_detail_error_shapes():
    assert error_of(404, {"detail": "Model not found"}).message == (
        "fireworks-ai error: Model not found"
    )
    validation = error_of(
        422,
        {"detail": [{"loc": ["body", "width"], "msg": "bad width"}, {"msg": "bad height"}]},
    )
    assert (validation.status, validation.message, validation.code) == (
        422,
        "fireworks-ai error: bad width; bad height",
        "upstream_422",
    )


def test_openai_shaped_error_and_retry_hint():
    failure = error_of(
        429,
        {"error": {"object": "error", "type": "rate_limit", "message": "slow down"}},
        **{"retry-after": "1"},
    )
    assert (failure.status, failure.message, failure.type) == (
        429,
        "fireworks-ai error: slow down",
        "rate_limit",
    )
    assert failure.response_headers() == {"retry-after": "1", "x-should-retry": "true"}


def test_non_json_error_is_502():
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(reply(500, b"oops", "text/plain"), REQUEST)
    assert (info.value.status, info.value.provider) == (502, "fireworks-ai")
