"""Golden tests of the Stability AI transforms (v1 JSON and v2beta multipart), both ways."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.multipart import encode
from gateway.providers.stability_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64

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


def reply(status, body, content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


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


# --- answers -----------------------------------------------------------------------------

V2 = request_for({"prompt": "p"})
V2_JPEG = request_for({"prompt": "p", "output_format": "jpeg"})
V1 = request_for({"prompt": "p", "model": "stable-diffusion-xl-1024-v1-0", "n": 3})


def test_v2beta_answer_is_one_base64_image():
    body = {"image": TINY_PNG_B64, "finish_reason": "SUCCESS", "seed": 343940597}
    result = PROVIDER.parse_reply(reply(200, body, **{"retry-after": "3", "x-x": "y"}), V2)
    assert result == ImageResult(
        200, headers={"retry-after": "3"}, images=(GeneratedImage(b64_json=TINY_PNG_B64),)
    )


def test_v2beta_jpeg_answer_keeps_its_type():
    body = {"image": TINY_PNG_B64, "finish_reason": "SUCCESS", "seed": 1}
    result = PROVIDER.parse_reply(reply(200, body), V2_JPEG)
    assert result.images == (GeneratedImage(b64_json=TINY_PNG_B64, content_type="image/jpeg"),)


FILTERED_BODY = {
    "error": {
        "message": "stability-ai error: the provider's content filter flagged the output "
        "(finish reason CONTENT_FILTERED).",
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
        "provider": "stability-ai",
    }
}


def filtered(reply_, request_):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply_, request_)
    assert info.value.status == 400
    assert info.value.to_body() == FILTERED_BODY
    return info.value


def test_v2beta_content_filtered_body_is_a_content_policy_400_without_the_image():
    body = {"image": TINY_PNG_B64, "finish_reason": "CONTENT_FILTERED", "seed": 1}
    failure = filtered(reply(200, body, **{"x-request-id": "r1"}), V2_JPEG)
    assert TINY_PNG_B64 not in json.dumps(failure.to_body())
    assert failure.response_headers() == {"x-should-retry": "false"}


def test_v2beta_content_filtered_header_is_a_content_policy_400():
    body = {"image": TINY_PNG_B64, "finish_reason": "SUCCESS", "seed": 1}
    filtered(reply(200, body, **{"finish-reason": "CONTENT_FILTERED"}), V2)


def test_raw_image_with_content_filtered_header_is_a_content_policy_400():
    filtered(reply(200, TINY_PNG, "image/png", **{"finish-reason": "CONTENT_FILTERED"}), V2)


def test_success_finish_reason_header_passes():
    result = PROVIDER.parse_reply(
        reply(200, TINY_PNG, "image/png", **{"finish-reason": "SUCCESS"}), V2
    )
    assert result.images == (GeneratedImage(data=TINY_PNG, content_type="image/png"),)


def test_v1_artifacts_drop_errors():
    body = {
        "artifacts": [
            {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 1},
            {"base64": "CCCC", "finishReason": "ERROR", "seed": 3},
            {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 2},
        ]
    }
    result = PROVIDER.parse_reply(reply(200, body), V1)
    assert result.images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
        GeneratedImage(b64_json=TINY_PNG_B64),
    )
    assert (result.status, result.created, result.body) == (200, None, b"")


@pytest.mark.parametrize("where", [0, 2])
def test_v1_one_content_filtered_artifact_makes_the_whole_answer_a_400(where):
    artifacts = [{"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": i} for i in range(3)]
    artifacts[where]["finishReason"] = "CONTENT_FILTERED"
    failure = filtered(reply(200, {"artifacts": artifacts}), V1)
    assert TINY_PNG_B64 not in json.dumps(failure.to_body())


def test_v1_bare_list_with_a_filtered_artifact_is_a_400():
    body = [{"base64": TINY_PNG_B64, "finishReason": "CONTENT_FILTERED", "seed": 1}]
    filtered(reply(200, body), V1)


def test_v1_bare_list_of_the_2023_spec_is_read():
    body = [{"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 1}]
    assert PROVIDER.parse_reply(reply(200, body), V1).images == (
        GeneratedImage(b64_json=TINY_PNG_B64),
    )


def test_raw_png_answer_is_an_image():
    result = PROVIDER.parse_reply(reply(200, TINY_PNG, "image/png"), V2)
    assert result.images == (GeneratedImage(data=TINY_PNG, content_type="image/png"),)


@pytest.mark.parametrize(
    ("request_", "body", "content_type"),
    [
        (V2, {"finish_reason": "SUCCESS"}, "application/json"),
        (V2, {"image": ""}, "application/json"),
        (V2, [1], "application/json"),
        (V1, {"artifacts": [{"base64": "A", "finishReason": "ERROR"}]}, "application/json"),
        (V1, {"artifacts": "no"}, "application/json"),
        (V1, {"artifacts": [1]}, "application/json"),
        (V2, b"<html>hi</html>", "text/html"),
        (V2, b"{not json", "application/json"),
        (V2, b"", "image/png"),
    ],
)
def test_success_that_is_not_an_image_answer_raises(request_, body, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, content_type), request_)


def test_error_inside_a_200_is_a_502_naming_stability():
    body = {"id": "e1", "name": "bad_request", "errors": ["prompt: too short"]}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body), V2)
    assert info.value.status == 502
    assert info.value.message == "stability-ai error: prompt: too short"


# --- errors ------------------------------------------------------------------------------


def error_body(status, body, request_=V2, **headers):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(status, body, **headers), request_)
    return info.value


def test_v1_error_shape():
    failure = error_body(
        401,
        {"id": "9160aa70", "name": "unauthorized", "message": "missing authorization header"},
        V1,
    )
    assert failure.status == 401
    assert failure.to_body() == {
        "error": {
            "message": "stability-ai error: missing authorization header",
            "type": "unauthorized",
            "param": None,
            "code": "unauthorized",
            "provider": "stability-ai",
        }
    }
    assert failure.response_headers() == {"x-should-retry": "false"}


def test_v2beta_error_list_is_joined():
    failure = error_body(
        400,
        {
            "id": "2a1b",
            "name": "bad_request",
            "errors": ["aspect_ratio: must be one of 16:9, 1:1", "seed: too big"],
        },
    )
    assert failure.to_body()["error"] == {
        "message": "stability-ai error: aspect_ratio: must be one of 16:9, 1:1, seed: too big",
        "type": "bad_request",
        "param": None,
        "code": "bad_request",
        "provider": "stability-ai",
    }


@pytest.mark.parametrize(
    ("body", "request_", "text"),
    [
        (  # v2beta, as its reference documents the 403
            {
                "id": "ed14",
                "name": "content_moderation",
                "errors": [
                    "Your request was flagged by our content moderation system, as a result "
                    "your request was denied and you were not charged."
                ],
            },
            V2,
            "Your request was flagged by our content moderation system, as a result your "
            "request was denied and you were not charged.",
        ),
        (  # v1's {id, name, message} shape with the same name
            {"id": "9c1a", "name": "content_moderation", "message": "prompt flagged"},
            V1,
            "prompt flagged",
        ),
    ],
)
def test_content_moderation_403_is_a_content_policy_400(body, request_, text):
    failure = error_body(403, body, request_)
    assert failure.status == 400
    assert failure.to_body() == {
        "error": {
            "message": f"stability-ai error: {text}",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "stability-ai",
        }
    }
    assert failure.response_headers() == {"x-should-retry": "false"}


def test_content_moderation_message_is_clipped_and_scrubbed():
    key = "sk-" + "a" * 48
    failure = error_body(
        403, {"id": "x", "name": "content_moderation", "errors": [f"{key} " + "x" * 900]}
    )
    assert failure.status == 400
    assert key not in failure.message
    assert failure.message.startswith("stability-ai error: ")
    assert failure.message.endswith("...")
    assert len(failure.message) == len("stability-ai error: ") + 500


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"id": "x", "name": "permission_denied", "message": "no access"}, "permission_denied"),
        ({"id": "x", "name": "forbidden", "errors": ["model not allowed"]}, "forbidden"),
    ],
)
def test_other_403s_keep_their_status(body, code):
    failure = error_body(403, body)
    assert (failure.status, failure.code) == (403, code)


def test_rate_limit_keeps_retry_after_and_may_be_retried():
    failure = error_body(
        429,
        {"id": "x", "name": "rate_limit_exceeded", "errors": ["slow down"]},
        **{"retry-after": "2"},
    )
    assert failure.response_headers() == {"retry-after": "2", "x-should-retry": "true"}


def test_error_without_a_message():
    assert error_body(500, {}).message == "stability-ai error: HTTP 500 without a message"


def test_non_json_error_is_502_naming_stability():
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(reply(503, b"<html>down</html>", "text/html"), V2)
    assert (info.value.status, info.value.provider) == (502, "stability-ai")


def test_openai_shaped_error_from_a_proxy_is_read():
    failure = error_body(418, {"error": {"message": "teapot", "code": "tea"}})
    assert (failure.status, failure.message, failure.code) == (
        418,
        "stability-ai error: teapot",
        "tea",
    )
