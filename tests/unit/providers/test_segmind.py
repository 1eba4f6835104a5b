"""Golden tests of the Segmind transforms both ways."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.segmind import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64

KEY = "SG_0123456789abcdef"
TARGET = Target(provider="segmind", base_url=None, api_key=KEY)
HEADERS = {"x-api-key": KEY, "Content-Type": "application/json"}


def request_for(params):
    return resolve(PROVIDER.capabilities, dict(params), json.dumps(params).encode())


def call_for(params, target=TARGET):
    return PROVIDER.build_call(request_for(params), target)


def reply(status, body, content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_segmind():
    assert get("segmind") is PROVIDER


def test_default_model_exact_call():
    call = call_for({"prompt": "a red fox"})
    assert (call.method, call.url) == ("POST", "https://api.segmind.com/v1/sdxl1.0-txt2img")
    assert call.headers == HEADERS
    assert call.body == (
        b'{"prompt":"a red fox","samples":1,"img_width":1024,"img_height":1024,"base64":true}'
    )


def test_sdxl_maps_every_documented_parameter():
    call = call_for(
        {
            "model": "sdxl1.0-txt2img",
            "prompt": "a fox",
            "n": 4,
            "size": "896x1152",
            "negative_prompt": "blur",
            "style": "cinematic",
            "scheduler": "UniPC",
            "steps": 25,
            "guidance_scale": 8,
            "seed": 468685,
            "strength": 0.2,
            "refiner": True,
            "high_noise_fraction": 0.8,
            "qr_text": "not for this model",
            "quality": "hd",
            "user": "u",
            "response_format": "url",
        }
    )
    assert call.body == (
        b'{"prompt":"a fox","samples":4,"img_width":896,"img_height":1152,'
        b'"negative_prompt":"blur","style":"cinematic","scheduler":"UniPC",'
        b'"num_inference_steps":25,"guidance_scale":8,"seed":468685,"strength":0.2,'
        b'"refiner":true,"high_noise_fraction":0.8,"base64":true}'
    )


def test_vivid_style_is_not_sent_and_ssd_1b_gets_its_own_parameters():
    call = call_for({"model": "ssd-1b", "prompt": "p", "style": "vivid", "strength": 0.5})
    assert call.url == "https://api.segmind.com/v1/ssd-1b"
    assert json.loads(call.body) == {
        "prompt": "p",
        "samples": 1,
        "img_width": 1024,
        "img_height": 1024,
        "base64": True,
    }


def test_unknown_model_gets_portkeys_parameter_set_and_custom_host():
    target = Target(
        provider="segmind",
        base_url="http://127.0.0.1:9/p/segmind/",
        api_key=KEY,
        forward_headers=(("x-api-key", "never"), ("x-team", "t")),
    )
    call = call_for(
        {
            "model": "qrsdxl",
            "prompt": "p",
            "size": "auto",
            "qr_text": "https://example.com",
            "qr_size": 768,
            "invert": False,
            "control_scale": 1.8,
            "steps": 4,
        },
        target,
    )
    assert call.url == "http://127.0.0.1:9/p/segmind/qrsdxl"
    assert call.headers == {**HEADERS, "x-team": "t"}
    assert json.loads(call.body) == {
        "prompt": "p",
        "samples": 1,
        "num_inference_steps": 4,
        "control_scale": 1.8,
        "qr_text": "https://example.com",
        "invert": False,
        "size": 768,
        "base64": True,
    }


def test_a_field_a_known_model_does_not_take_is_dropped_as_portkey_does():
    assert "refiner" not in json.loads(
        call_for({"model": "ssd-1b", "prompt": "p", "refiner": True}).body
    )


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),
        ({"model": "ssd-1b", "size": "512x512"}, "size"),
        ({"model": "ssd-1b", "style": "anime"}, "style"),
        ({"refiner": "yes"}, "refiner"),
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
        ({"size": "500x512"}, "size"),
        ({"size": "2056x1024"}, "size"),
        ({"size": "auto"}, "size"),
        ({"steps": 10}, "steps"),
        ({"num_inference_steps": 101}, "num_inference_steps"),
        ({"guidance_scale": 30}, "guidance_scale"),
        ({"high_noise_fraction": True}, "high_noise_fraction"),
        ({"model": "a/b"}, "model"),
        ({"model": "x?y"}, "model"),
    ],
)
def test_values_checked_when_building_the_call_are_400(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param


def test_ranges_are_segminds_business_for_unknown_models():
    assert (
        json.loads(call_for({"model": "flux-schnell", "prompt": "p", "steps": 4}).body)[
            "num_inference_steps"
        ]
        == 4
    )


# --- answers -----------------------------------------------------------------------------

REQUEST = request_for({"prompt": "p"})


def test_single_base64_image():
    body = {"image": TINY_PNG_B64, "status": "Success", "infer_time": 3.2}
    result = PROVIDER.parse_reply(reply(200, body, **{"retry-after": "1"}), REQUEST)
    assert result == ImageResult(
        200, headers={"retry-after": "1"}, images=(GeneratedImage(b64_json=TINY_PNG_B64),)
    )


def test_list_of_images_data_uri_and_url():
    body = {
        "image": [
            TINY_PNG_B64,
            "data:image/png;base64," + TINY_PNG_B64,
            "https://cdn.example/x.png",
        ]
    }
    assert PROVIDER.parse_reply(reply(200, body), REQUEST).images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(url="https://cdn.example/x.png"),
    )


def test_raw_jpeg_when_base64_is_not_honoured():
    result = PROVIDER.parse_reply(reply(200, b"\xff\xd8\xffdata", "image/jpeg"), REQUEST)
    assert result.images == (GeneratedImage(data=b"\xff\xd8\xffdata", content_type="image/jpeg"),)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"status": "Success"}, "application/json"),
        ({"image": []}, "application/json"),
        ({"image": [None]}, "application/json"),
        ([1], "application/json"),
        (b"<html>", "text/html"),
        (b"", "image/jpeg"),
    ],
)
def test_success_that_is_not_an_image_answer_raises(body, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, content_type), REQUEST)


def test_error_inside_a_200_is_a_502():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"error": "model is warming up"}), REQUEST)
    assert (info.value.status, info.value.message) == (502, "segmind error: model is warming up")


# --- errors ------------------------------------------------------------------------------


def error_of(status, body, **headers):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(status, body, **headers), REQUEST)
    return info.value


def test_error_string_shape_keeps_status():
    failure = error_of(406, {"error": "Not enough credits"})
    assert failure.status == 406
    assert failure.to_body() == {
        "error": {
            "message": "segmind error: Not enough credits",
            "type": "upstream_error",
            "param": None,
            "code": "upstream_406",
            "provider": "segmind",
        }
    }
    assert failure.response_headers() == {"x-should-retry": "false"}


def test_message_and_detail_shapes():
    assert error_of(401, {"message": "Unauthorized"}).message == "segmind error: Unauthorized"
    assert error_of(422, {"detail": [{"msg": "prompt required"}]}).message == (
        'segmind error: [{"msg": "prompt required"}]'
    )
    assert error_of(404, {"detail": "Not Found"}).message == "segmind error: Not Found"


def test_rate_limit_may_be_retried():
    failure = error_of(429, {"error": "Too many requests"}, **{"retry-after": "2"})
    assert failure.response_headers() == {"retry-after": "2", "x-should-retry": "true"}


def test_non_json_error_is_502():
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(reply(500, b"Internal Server Error", "text/plain"), REQUEST)
    assert (info.value.status, info.value.provider) == (502, "segmind")
