"""Golden tests of the Stability AI answers: images, the content filter, refused prompts, errors."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ImageResult, ProviderReply
from gateway.providers.stability_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes.stability_ai import FILTERED_ERROR as FILTERED_BODY
from tests.unit.providers.test_stability_ai import request_for


def reply(status, body, content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


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
