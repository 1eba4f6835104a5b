"""Golden tests of the Vertex AI Imagen transforms both ways; no HTTP.

Shapes follow Google's Imagen API reference
(cloud.google.com/vertex-ai/generative-ai/docs/model-reference/imagen-api).
"""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, GoogleServiceAccount, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.vertex_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG_B64

OPTIONS = {"vertex_project_id": "my-project", "vertex_region": "us-central1"}
TARGET = Target(provider="vertex-ai", base_url=None, api_key="ya29.token", options=OPTIONS)
PREDICT = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/"
    "us-central1/publishers/google/models/{model}:predict"
)
ACCOUNT = json.dumps(
    {
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "kid1",
        "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",
        "client_email": "gw@sa-project.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
)


def request_for(params: dict):
    return resolve(PROVIDER.capabilities, params, json.dumps(params).encode())


def call_for(params: dict, target: Target = TARGET):
    return PROVIDER.build_call(request_for(params), target)


def parameters(params: dict, target: Target = TARGET) -> dict:
    return json.loads(call_for({"prompt": "p", **params}, target).body)["parameters"]


def reply(status: int, payload, content_type: str = "application/json", **headers: str):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_registry_has_vertex_ai():
    assert get("vertex-ai") is PROVIDER


def test_oauth_token_request_is_exact():
    call = call_for({"prompt": "a red fox", "model": "imagen-3.0-generate-002"})
    assert (call.method, call.url) == ("POST", PREDICT.format(model="imagen-3.0-generate-002"))
    assert call.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer ya29.token",
    }
    # sampleCount is always sent: Vertex makes 4 images when it is absent; and
    # includeRaiReason, so that a filtered image is reported instead of left out.
    assert call.body == (
        b'{"instances":[{"prompt":"a red fox"}],"parameters":{"sampleCount":1,'
        b'"aspectRatio":"1:1","includeRaiReason":true}}'
    )
    assert call.signing is None


def test_default_model_is_imagen_4():
    assert call_for({"prompt": "p"}).url == PREDICT.format(model="imagen-4.0-generate-001")


@pytest.mark.parametrize(
    ("size", "ratio"),
    [
        ("1024x1024", "1:1"),
        ("896x1280", "3:4"),
        ("1280x896", "4:3"),
        ("768x1408", "9:16"),
        ("1408x768", "16:9"),
    ],
)
def test_size_becomes_the_aspect_ratio_of_the_declared_table(size, ratio):
    assert parameters({"size": size, "n": 4}) == {
        "sampleCount": 4,
        "aspectRatio": ratio,
        "includeRaiReason": True,
    }


def test_size_auto_leaves_the_ratio_to_google():
    assert parameters({"size": "auto"}) == {"sampleCount": 1, "includeRaiReason": True}


def test_unknown_model_takes_the_nearest_ratio():
    params = parameters({"model": "imagen-5.0-generate-001", "size": "1792x1024"})
    assert params == {"sampleCount": 1, "aspectRatio": "16:9", "includeRaiReason": True}


def test_global_region_uses_the_global_host():
    target = Target(
        provider="vertex-ai",
        base_url=None,
        api_key="t",
        options={"vertex_project_id": "p1", "vertex_region": "global"},
    )
    assert call_for({"prompt": "p"}, target).url == (
        "https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/"
        "models/imagen-4.0-generate-001:predict"
    )


def test_custom_host_keeps_the_predict_path():
    target = Target(
        provider="vertex-ai",
        base_url="http://127.0.0.1:9/p/vertex-ai",
        api_key="t",
        options=OPTIONS,
    )
    assert call_for({"prompt": "p"}, target).url == (
        "http://127.0.0.1:9/p/vertex-ai/v1/projects/my-project/locations/us-central1/"
        "publishers/google/models/imagen-4.0-generate-001:predict"
    )


def test_native_parameters_are_passed_through():
    params = parameters(
        {
            "model": "imagen-3.0-generate-001",
            "negative_prompt": "blurry",
            "seed": 1234,
            "addWatermark": False,
            "personGeneration": "allow_adult",
            "safetySetting": "block_only_high",
            "includeRaiReason": True,
            "language": "en",
            "output_format": "jpeg",
            "compressionQuality": 80,
            "quality": "hd",  # OpenAI's: accepted, not sent
            "style": "natural",
            "user": "u-1",
            "storageUri": "gs://elsewhere",  # unknown: dropped
        }
    )
    assert params == {
        "sampleCount": 1,
        "aspectRatio": "1:1",
        "negativePrompt": "blurry",
        "seed": 1234,
        "personGeneration": "allow_adult",
        "safetySetting": "block_only_high",
        "language": "en",
        "addWatermark": False,
        "includeRaiReason": True,
        "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80},
    }


def test_imagen_4_takes_the_prompt_rewriter_and_2k():
    params = parameters({"enhancePrompt": False, "sampleImageSize": "2K", "aspectRatio": "9:16"})
    assert params == {
        "sampleCount": 1,
        "aspectRatio": "9:16",
        "sampleImageSize": "2K",
        "enhancePrompt": False,
        "includeRaiReason": True,
    }


@pytest.mark.parametrize("given", [True, False])
def test_the_callers_own_include_rai_reason_is_kept(given):
    assert parameters({"includeRaiReason": given})["includeRaiReason"] is given


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),
        ({"size": "1792x1024"}, "size"),
        ({"negativePrompt": "x"}, "negativePrompt"),  # not on Imagen 4
        ({"model": "imagen-3.0-generate-001", "enhancePrompt": True}, "enhancePrompt"),
        ({"model": "imagen-4.0-fast-generate-001", "sampleImageSize": "2K"}, "sampleImageSize"),
        ({"seed": 5}, "seed"),  # the default watermark forbids a seed
        ({"seed": -1, "addWatermark": False}, "seed"),
        ({"addWatermark": 1}, "addWatermark"),
        ({"personGeneration": "everyone"}, "personGeneration"),
        ({"mimeType": "image/gif"}, "mimeType"),
        ({"output_format": "webp"}, "output_format"),
        ({"output_format": "png", "mimeType": "image/jpeg"}, "output_format"),
        ({"compressionQuality": True}, "compressionQuality"),
        ({"aspectRatio": "16:9", "size": "1024x1024"}, "aspectRatio"),
        ({"quality": "high"}, "quality"),
        ({"model": "../../other", "prompt": "p"}, "model"),
        ({"model": "imagen-5", "language": 3}, "language"),
    ],
)
def test_what_a_model_cannot_take_is_a_400_naming_the_parameter(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param


def test_service_account_option_is_signed_later_and_names_the_project():
    target = Target(
        provider="vertex-ai",
        base_url=None,
        api_key="",
        options={"vertex_region": "europe-west4", "vertex_service_account_json": ACCOUNT},
    )
    call = call_for({"prompt": "p"}, target)
    assert call.url.startswith(
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/sa-project/locations/"
        "europe-west4/"
    )
    assert "Authorization" not in call.headers
    assert call.signing == GoogleServiceAccount(ACCOUNT, "vertex-ai", "vertex_service_account_json")


def test_service_account_as_the_provider_key_and_explicit_project_wins():
    target = Target(provider="vertex-ai", base_url=None, api_key=ACCOUNT, options=OPTIONS)
    call = call_for({"prompt": "p"}, target)
    assert call.url == PREDICT.format(model="imagen-4.0-generate-001")
    assert "Authorization" not in call.headers
    assert call.signing == GoogleServiceAccount(ACCOUNT, "vertex-ai", "vertex_service_account_json")


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"vertex_project_id": "p"}, "vertex_region"),
        ({"vertex_region": "us-central1"}, "vertex_project_id"),
        ({**OPTIONS, "vertex_region": "us-central1.evil.com"}, "vertex_region"),
        ({**OPTIONS, "vertex_project_id": "a/b"}, "vertex_project_id"),
        (
            {**OPTIONS, "vertex_service_account_json": '{"type": "user"}'},
            "vertex_service_account_json",
        ),
        ({**OPTIONS, "vertex_service_account_json": "{not json"}, "vertex_service_account_json"),
    ],
)
def test_missing_or_unsafe_options_name_the_option(options, param):
    target = Target(provider="vertex-ai", base_url=None, api_key="t", options=options)
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p"}, target)
    assert info.value.param == param


def test_credentials_accept_a_token_or_a_service_account():
    assert PROVIDER.credentials("ya29.t", {}) is None
    assert PROVIDER.credentials(None, {"vertex_service_account_json": ACCOUNT}) is None
    assert "service-account" in PROVIDER.credentials(None, {})


def test_predictions_become_images_with_type_and_rewritten_prompt():
    payload = {
        "predictions": [
            {"bytesBase64Encoded": TINY_PNG_B64, "mimeType": "image/png"},
            {"bytesBase64Encoded": "/9j/4AAQ", "mimeType": "image/jpeg", "prompt": "A fox, oil"},
        ]
    }
    result = PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p", "n": 2}))
    assert result == ImageResult(
        200,
        images=(
            GeneratedImage(b64_json=TINY_PNG_B64, content_type="image/png"),
            GeneratedImage(
                b64_json="/9j/4AAQ", content_type="image/jpeg", revised_prompt="A fox, oil"
            ),
        ),
    )


def test_error_inside_a_200_raises():
    payload = {"error": {"code": 400, "message": "nope", "status": "INVALID_ARGUMENT"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p"}))
    assert info.value.status == 502


@pytest.mark.parametrize(
    "payload", [{"predictions": "x"}, {"predictions": [{"bytesBase64Encoded": 5}]}, b"[]"]
)
def test_200_that_is_not_an_answer_raises(payload):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, payload), request_for({"prompt": "p"}))


@pytest.mark.parametrize("wrap", [False, True])
def test_google_error_keeps_status_and_names_the_provider(wrap):
    error = {
        "error": {
            "code": 400,
            "message": "Image generation failed with the following error: bad aspect ratio",
            "status": "INVALID_ARGUMENT",
        }
    }
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, [error] if wrap else error), request_for({"prompt": "p"}))
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": "vertex-ai error: Image generation failed with the following error: "
            "bad aspect ratio",
            "type": "INVALID_ARGUMENT",
            "param": None,
            "code": "INVALID_ARGUMENT",
            "provider": "vertex-ai",
        }
    }


def test_quota_429_is_kept_and_may_be_retried():
    error = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(429, error), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.code, info.value.should_retry) == (
        429,
        "RESOURCE_EXHAUSTED",
        True,
    )


def test_html_error_is_a_502_naming_the_provider():
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(reply(404, b"<html/>", "text/html"), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.provider) == (502, "vertex-ai")
