"""A provider's "filtered" flag in a 2xx answer becomes OpenAI's refused-prompt error.

Through the whole app with ``responses``: Stability's ``CONTENT_FILTERED`` (v1 artifact,
v2beta body field or ``finish-reason`` header) is a 400 ``content_policy_violation``
without the blurred image, and a fallback config moves on as it does for any 400.
"""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers, registries

from tests.e2e.fakes import TINY_PNG_B64
from tests.e2e.fakes.stability_ai import FILTERED_ERROR as FILTERED
from tests.factories import OK_BODY, OPENAI_URL
from tests.functional.conftest import log_rows

URL = "/v1/images/generations"
KEY = "sk-stab-functional-0123456789"
V1_URL = "https://api.stability.ai/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
CORE_URL = "https://api.stability.ai/v2beta/stable-image/generate/core"


@pytest.fixture
def ordered():
    with responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=registries.OrderedRegistry
    ) as mock:
        yield mock


def to_stability(client, body):
    headers = {"Authorization": f"Bearer {KEY}", "x-portkey-provider": "stability-ai"}
    return client.post(URL, json=body, headers=headers)


def test_v2beta_content_filtered_body_is_the_exact_400(app, client, upstream):
    upstream.post(
        CORE_URL,
        json={"image": TINY_PNG_B64, "finish_reason": "CONTENT_FILTERED", "seed": 7},
        headers={"finish-reason": "CONTENT_FILTERED", "seed": "7"},
    )
    res = to_stability(client, {"prompt": "a red fox", "response_format": "b64_json"})
    assert res.status_code == 400
    assert res.get_json() == FILTERED
    assert TINY_PNG_B64.encode() not in res.data
    assert res.headers["x-should-retry"] == "false"
    [row] = log_rows(app)
    assert (row["provider"], row["status"]) == ("stability-ai", 400)


def test_v2beta_content_filtered_header_alone_is_the_exact_400(client, upstream):
    upstream.post(
        CORE_URL,
        json={"image": TINY_PNG_B64, "seed": 7},
        headers={"finish-reason": "CONTENT_FILTERED"},
    )
    res = to_stability(client, {"prompt": "a red fox"})
    assert (res.status_code, res.get_json()) == (400, FILTERED)


def test_v1_one_filtered_artifact_of_two_is_the_exact_400(client, upstream):
    artifacts = [
        {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": 1},
        {"base64": TINY_PNG_B64, "finishReason": "CONTENT_FILTERED", "seed": 2},
    ]
    upstream.post(V1_URL, json={"artifacts": artifacts})
    body = {"model": "stable-diffusion-xl-1024-v1-0", "prompt": "a red fox", "n": 2}
    res = to_stability(client, {**body, "response_format": "b64_json"})
    assert (res.status_code, res.get_json()) == (400, FILTERED)
    assert TINY_PNG_B64.encode() not in res.data


def test_unflagged_v2beta_answer_is_still_an_image(client, upstream):
    upstream.post(CORE_URL, json={"image": TINY_PNG_B64, "finish_reason": "SUCCESS", "seed": 7})
    res = to_stability(client, {"prompt": "a red fox", "response_format": "b64_json"})
    assert res.status_code == 200
    assert res.get_json()["data"] == [{"b64_json": TINY_PNG_B64}]


def fallback_config(**strategy):
    return {
        "strategy": {"mode": "fallback", **strategy},
        "targets": [
            {"provider": "stability-ai", "api_key": KEY},
            {"provider": "openai", "api_key": "sk-openai-functional-01"},
        ],
    }


def test_fallback_moves_on_from_a_filtered_answer(client, ordered):
    ordered.post(CORE_URL, json={"image": TINY_PNG_B64, "finish_reason": "CONTENT_FILTERED"})
    ordered.post(
        OPENAI_URL,
        body=OK_BODY,
        content_type="application/json",
        match=[matchers.header_matcher({"Authorization": "Bearer sk-openai-functional-01"})],
    )
    headers = {"x-portkey-config": json.dumps(fallback_config())}
    res = client.post(URL, json={"prompt": "a red fox"}, headers=headers)
    assert res.status_code == 200
    assert res.data == OK_BODY
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"


@pytest.mark.parametrize(("codes", "calls"), [([400], 2), ([429, 500], 1)])
def test_fallback_on_status_codes_decides_for_the_filtered_400(client, ordered, codes, calls):
    ordered.post(CORE_URL, json={"image": TINY_PNG_B64, "finish_reason": "CONTENT_FILTERED"})
    if calls == 2:
        ordered.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    headers = {"x-portkey-config": json.dumps(fallback_config(on_status_codes=codes))}
    res = client.post(URL, json={"prompt": "a red fox"}, headers=headers)
    if calls == 2:
        assert (res.status_code, res.data) == (200, OK_BODY)
        assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    else:
        assert (res.status_code, res.get_json()) == (400, FILTERED)
        assert res.headers["x-portkey-last-used-option-index"] == "config.targets[0]"
