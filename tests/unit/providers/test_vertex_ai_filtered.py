"""Vertex AI's content filters: a filtered image or a refused prompt is a content-policy 400."""

from __future__ import annotations

import json

import pytest

from gateway.errors import ProviderError
from gateway.providers.vertex_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64
from tests.unit.providers.test_vertex_ai import reply, request_for


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (
            {"predictions": [{"raiFilteredReason": "Unable to show generated images."}]},
            "raiFilteredReason: Unable to show generated images.",
        ),
        # one image filtered out of the n asked: the answer is refused, no image in it
        (
            {
                "predictions": [
                    {"bytesBase64Encoded": TINY_PNG_B64, "mimeType": "image/png"},
                    {"raiFilteredReason": "filtered for safety"},
                ]
            },
            "raiFilteredReason: filtered for safety",
        ),
        ({}, "no image returned"),
    ],
)
def test_a_filtered_image_is_a_400_saying_so(payload, why):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", "n": 2}))
    assert info.value.status == 400
    assert info.value.to_body()["error"] == {
        "message": f"vertex-ai error: the provider's content filter flagged the output ({why}).",
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
        "provider": "vertex-ai",
    }
    assert TINY_PNG_B64 not in json.dumps(info.value.to_body())


@pytest.mark.parametrize(
    "message",
    [
        "Image generation failed with the following error: The prompt could not be "
        "submitted. This prompt contains sensitive words that violate Google's Responsible "
        "AI practices. Try rephrasing the prompt. Support codes: 42876398",
        "The prompt couldn't be submitted: it might violate our policies.",
    ],
)
def test_a_refused_prompt_is_a_content_policy_400(message):
    error = {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, error), request_for({"prompt": "p"}))
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": f"vertex-ai error: {message}",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "vertex-ai",
        }
    }
    assert info.value.response_headers() == {"x-should-retry": "false"}


def test_the_refusal_wording_on_another_status_keeps_it():
    error = {
        "error": {"code": 500, "message": "prompt could not be submitted", "status": "INTERNAL"}
    }
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(500, error), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.code) == (500, "INTERNAL")
