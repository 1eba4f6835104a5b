"""Bedrock's content filters: a filtered answer or a refused prompt is a content-policy 400."""

from __future__ import annotations

import json

import pytest

from gateway.errors import ProviderError
from gateway.providers.bedrock import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64
from tests.unit.providers.test_bedrock import (
    NOVA,
    SDXL,
    TITAN,
    ULTRA,
    reply,
    request_for,
)


def filtered_body(why: str) -> dict:
    return {
        "error": {
            "message": f"bedrock error: the provider's content filter flagged the output ({why}).",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "bedrock",
        }
    }


def assert_filtered(payload: dict, params: dict, why: str) -> None:
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", **params}))
    assert info.value.status == 400
    assert info.value.to_body() == filtered_body(why)
    assert TINY_PNG_B64 not in json.dumps(info.value.to_body())


@pytest.mark.parametrize(
    "artifacts",
    [
        [{"seed": 1, "finishReason": "CONTENT_FILTERED"}],
        # one blurred image among good ones: the whole answer is refused
        [
            {"seed": 1, "base64": TINY_PNG_B64, "finishReason": "SUCCESS"},
            {"seed": 2, "base64": TINY_PNG_B64, "finishReason": "CONTENT_FILTERED"},
        ],
    ],
)
def test_sdxl_filtered_artifact_is_a_content_policy_400(artifacts):
    payload = {"result": "success", "artifacts": artifacts}
    assert_filtered(payload, {"model": SDXL}, "finish reason CONTENT_FILTERED")


def test_stable_image_filter_reason_is_a_400_and_inference_error_a_502():
    assert_filtered(
        {"finish_reasons": ["Filter reason: prompt"]}, {"model": ULTRA}, "Filter reason: prompt"
    )
    # an image next to a filter reason is a blurred one: refused as well
    payload = {"images": [TINY_PNG_B64], "finish_reasons": ["Filter reason: output image"]}
    assert_filtered(payload, {"model": ULTRA}, "Filter reason: output image")
    request = request_for({"prompt": "p", "model": ULTRA})
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"finish_reasons": ["Inference error"]}), request)
    assert (info.value.status, info.value.message) == (502, "bedrock error: Inference error")


@pytest.mark.parametrize("model", [NOVA, TITAN])
@pytest.mark.parametrize(
    ("images", "error"),
    [
        ([], "All of the generated images have been blocked by our content filters."),
        ([TINY_PNG_B64], "Some of the generated images have been blocked by our content filters."),
    ],
)
def test_amazon_error_field_is_the_content_filter_a_400(model, images, error):
    assert_filtered({"images": images, "error": error}, {"model": model, "n": 2}, error)


@pytest.mark.parametrize("model", [NOVA, TITAN, ULTRA])
@pytest.mark.parametrize(
    ("message", "headers"),
    [
        (
            "This request has been blocked by our content filters. Please adjust your text "
            "prompt to submit a new request.",
            {"x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/"},
        ),
        (  # a proxy that drops the type header
            "This request has been blocked by our content filters. Please adjust your input "
            "image to submit a new request.",
            {},
        ),
    ],
)
def test_a_prompt_the_content_filters_refused_is_a_content_policy_400(model, message, headers):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(400, {"message": message}, **headers),
            request_for({"prompt": "p", "model": model}),
        )
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": f"bedrock error: {message}",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "bedrock",
        }
    }
    assert info.value.response_headers() == {"x-should-retry": "false"}


@pytest.mark.parametrize(
    ("status", "kind"),
    [(403, "AccessDeniedException"), (400, "ModelErrorException"), (500, "ValidationException")],
)
def test_the_content_filter_wording_elsewhere_keeps_status_and_type(status, kind):
    message = "This request has been blocked by our content filters."
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(
            reply(status, {"message": message}, **{"x-amzn-errortype": kind}),
            request_for({"prompt": "p"}),
        )
    assert (info.value.status, info.value.code) == (status, kind)
