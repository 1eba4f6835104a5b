"""Golden tests of the Stability AI requests (v1 JSON and v2beta multipart).

The answers, the content filter and the errors: ``test_stability_ai_answers.py``.
"""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest
from gateway.models import Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.multipart import encode
from gateway.providers.stability_ai import PROVIDER

KEY = "sk-stab-0123456789"
TARGET = Target(provider="stability-ai", base_url=None, api_key=KEY)
JSON_HEADERS = {
    "Authorization": f"Bearer {KEY}",
    "Content-Type": "application/json",
    "Accept": "application/json",
}


def request_for(params):
    return resolve(PROVIDER.capabilities, dict(params), json.dumps(params).encode())


def call_for(params, target=TARGET):
    return PROVIDER.build_call(request_for(params), target)


def fields_of(call):
    """The multipart fields, checked against the exact bytes the shared encoder makes."""
    boundary = call.headers["Content-Type"].partition("boundary=")[2]
    names = []
    for part in call.body.split(b"--" + boundary.encode())[1:-1]:
        head, _, value = part.partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        names.append((name, value[:-2].decode()))
    assert (call.body, call.headers["Content-Type"]) == encode(names)
    return names


def test_registry_has_stability_ai():
    assert get("stability-ai") is PROVIDER


# --- v2beta requests -----------------------------------------------------------------


def test_default_model_is_core_with_exact_multipart_bytes():
    call = call_for({"prompt": "a red fox"})
    boundary = call.headers["Content-Type"].partition("boundary=")[2]
    assert call.method == "POST"
    assert call.url == "https://api.stability.ai/v2beta/stable-image/generate/core"
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
    }
    assert (
        call.body
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na red fox\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="aspect_ratio"\r\n\r\n1:1\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )


def test_sd35_model_goes_to_sd3_service_with_every_mapped_field():
    call = call_for(
        {
            "model": "sd3.5-large",
            "prompt": "a fox",
            "size": "1344x768",
            "negative_prompt": "blur",
            "seed": 42,
            "style": "anime",
            "output_format": "jpeg",
            "cfg_scale": 4.5,
            "quality": "hd",
            "user": "u-1",
            "response_format": "b64_json",
            "unknown_thing": 1,
        }
    )
    assert call.url == "https://api.stability.ai/v2beta/stable-image/generate/sd3"
    assert fields_of(call) == [
        ("prompt", "a fox"),
        ("model", "sd3.5-large"),
        ("negative_prompt", "blur"),
        ("aspect_ratio", "16:9"),
        ("seed", "42"),
        ("style_preset", "anime"),
        ("output_format", "jpeg"),
        ("cfg_scale", "4.5"),
    ]


@pytest.mark.parametrize(
    ("model", "path", "fields"),
    [
        ("sd3", "sd3", [("prompt", "p"), ("aspect_ratio", "9:16")]),
        ("ultra", "ultra", [("prompt", "p"), ("aspect_ratio", "9:16")]),
        (
            "sd3.9-future",
            "sd3",
            [("prompt", "p"), ("model", "sd3.9-future"), ("aspect_ratio", "9:16")],
        ),
    ],
)
def test_model_routes_to_its_service(model, path, fields):
    call = call_for({"model": model, "prompt": "p", "size": "768x1344"})
    assert call.url == f"https://api.stability.ai/v2beta/stable-image/generate/{path}"
    assert fields_of(call) == fields


def test_vivid_style_is_accepted_and_not_sent_and_explicit_preset_wins():
    assert fields_of(call_for({"prompt": "p", "style": "vivid"})) == [
        ("prompt", "p"),
        ("aspect_ratio", "1:1"),
    ]
    both = call_for({"prompt": "p", "style": "anime", "style_preset": "origami"})
    assert ("style_preset", "origami") in fields_of(both)


def test_portkey_aspect_ratio_field_and_auto_size():
    assert fields_of(call_for({"prompt": "p", "aspect_ratio": "21:9"})) == [
        ("prompt", "p"),
        ("aspect_ratio", "21:9"),
    ]
    assert fields_of(call_for({"prompt": "p", "size": "auto"})) == [("prompt", "p")]


def test_custom_host_replaces_the_base_and_keeps_the_path():
    target = Target(
        provider="stability-ai",
        base_url="http://127.0.0.1:9/p/stability-ai/",
        api_key=KEY,
        pinned_ip="127.0.0.1",
        forward_headers=(("x-team", "a"), ("Authorization", "never")),
    )
    call = call_for({"prompt": "p", "model": "ultra"}, target)
    assert call.url == "http://127.0.0.1:9/p/stability-ai/v2beta/stable-image/generate/ultra"
    assert call.pinned_ip == "127.0.0.1"
    assert call.headers["x-team"] == "a"
    assert call.headers["Authorization"] == f"Bearer {KEY}"


# --- v1 requests -----------------------------------------------------------------------


def test_sdxl_v1_exact_json_body():
    call = call_for(
        {
            "model": "stable-diffusion-xl-1024-v1-0",
            "prompt": "a fox",
            "n": 3,
            "size": "1152x896",
            "style": "cinematic",
            "negative_prompt": "blur",
            "cfg_scale": 7,
            "clip_guidance_preset": "FAST_BLUE",
            "sampler": "K_EULER",
            "seed": 4294967295,
            "steps": 30,
            "extras": {"x": 1},
            "quality": "standard",
            "response_format": "url",
        }
    )
    assert call.url == (
        "https://api.stability.ai/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
    )
    assert call.headers == JSON_HEADERS
    assert call.body == (
        b'{"text_prompts":[{"text":"a fox","weight":1},{"text":"blur","weight":-1}],'
        b'"samples":3,"height":896,"width":1152,"style_preset":"cinematic","cfg_scale":7,'
        b'"clip_guidance_preset":"FAST_BLUE","sampler":"K_EULER","seed":4294967295,'
        b'"steps":30,"extras":{"x":1}}'
    )


def test_v1_defaults_and_vivid_dropped():
    call = call_for({"model": "stable-diffusion-xl-1024-v1-0", "prompt": "p", "style": "vivid"})
    assert json.loads(call.body) == {
        "text_prompts": [{"text": "p", "weight": 1}],
        "samples": 1,
        "height": 1024,
        "width": 1024,
    }


def test_sd16_takes_any_multiple_of_64_in_range():
    call = call_for({"model": "stable-diffusion-v1-6", "prompt": "p", "size": "320x1536"})
    assert call.url.endswith("/v1/generation/stable-diffusion-v1-6/text-to-image")
    assert (json.loads(call.body)["width"], json.loads(call.body)["height"]) == (320, 1536)


@pytest.mark.parametrize("size", ["256x256", "1600x512", "500x512"])
def test_sd16_size_outside_its_rules_is_400(size):
    with pytest.raises(InvalidRequest) as info:
        call_for({"model": "stable-diffusion-v1-6", "prompt": "p", "size": size})
    assert info.value.param == "size"


# --- capability and parameter violations (400 naming the parameter) ----------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),
        ({"model": "sd3.5-large", "n": 11}, "n"),
        ({"size": "1024x768"}, "size"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "size": "512x512"}, "size"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "n": 11}, "n"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "prompt": "p" * 2001}, "prompt"),
        ({"style": "watercolour"}, "style"),
        ({"quality": "high"}, "quality"),
        ({"sampler": "K_EULER"}, "sampler"),
        ({"steps": 30}, "steps"),
        ({"cfg_scale": 5}, "cfg_scale"),
        ({"output_format": "gif"}, "output_format"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "output_format": "png"}, "output_format"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "steps": 51}, "steps"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "sampler": "EULER"}, "sampler"),
    ],
)
def test_known_model_limits_are_400_naming_the_parameter(params, param):
    with pytest.raises(InvalidRequest) as info:
        request_for({"prompt": "p", **params})
    assert info.value.param == param
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"seed": 4294967295}, "seed"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"model": "sd3.5-medium", "cfg_scale": 11}, "cfg_scale"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "cfg_scale": 36}, "cfg_scale"),
        ({"model": "stable-diffusion-xl-1024-v1-0", "cfg_scale": True}, "cfg_scale"),
        ({"negative_prompt": 5}, "negative_prompt"),
        ({"size": "1344x768", "aspect_ratio": "1:1"}, "aspect_ratio"),
        ({"model": "sd3.9-future", "n": 2}, "n"),
        ({"model": "sd3.9-future", "size": "512x512"}, "size"),
    ],
)
def test_values_checked_when_building_the_call_are_400(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param
