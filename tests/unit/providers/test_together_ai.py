"""Golden tests of the Together AI transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import GatewayError, InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.together_ai import PROVIDER
from tests.e2e.fakes import TINY_PNG

TARGET = Target(provider="together-ai", base_url=None, api_key="tg-key")
SCHNELL = "black-forest-labs/FLUX.1-schnell"


def request_for(**body):
    params = {"prompt": "a fox", **body}
    return resolve(PROVIDER.capabilities, params, json.dumps(params).encode())


def sent(**body):
    call = PROVIDER.build_call(request_for(**body), TARGET)
    return json.loads(call.body)


def test_registered_under_its_id():
    assert get("together-ai") is PROVIDER


def test_typical_request_url_headers_and_exact_body():
    request = request_for(
        model="black-forest-labs/FLUX.1-dev",
        size="1344x768",
        n=2,
        response_format="b64_json",
        steps=28,
        seed=42,
        negative_prompt="blurry",
        guidance_scale=3.5,
        output_format="png",
        disable_safety_checker=True,
    )
    call = PROVIDER.build_call(request, TARGET)
    assert (call.method, call.url) == ("POST", "https://api.together.xyz/v1/images/generations")
    assert call.headers == {
        "Authorization": "Bearer tg-key",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"model":"black-forest-labs/FLUX.1-dev","prompt":"a fox","n":2,"width":1344,'
        b'"height":768,"response_format":"base64","steps":28,"seed":42,'
        b'"negative_prompt":"blurry","guidance_scale":3.5,"output_format":"png",'
        b'"disable_safety_checker":true}'
    )


def test_defaults_model_and_url_format_and_leaves_size_to_together():
    assert sent() == {"model": SCHNELL, "prompt": "a fox", "n": 1, "response_format": "url"}
    assert "width" not in sent(size="auto")


def test_openai_only_fields_are_not_sent():
    body = sent(quality="hd", style="vivid", user="u", background="opaque", moderation="low")
    assert body == {"model": SCHNELL, "prompt": "a fox", "n": 1, "response_format": "url"}


def test_kontext_models_get_an_aspect_ratio_instead_of_pixels():
    kontext = "black-forest-labs/FLUX.1-kontext-pro"
    assert sent(model=kontext, size="1344x768")["aspect_ratio"] == "16:9"
    assert "width" not in sent(model=kontext, size="1344x768")
    assert sent(model=kontext, size="1024x1024", aspect_ratio="21:9")["aspect_ratio"] == "21:9"


def test_custom_host_base():
    tgt = Target(
        provider="together-ai", base_url="http://127.0.0.1:9/p/together-ai/v1", api_key="k"
    )
    call = PROVIDER.build_call(request_for(), tgt)
    assert call.url == "http://127.0.0.1:9/p/together-ai/v1/images/generations"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 5}, "n"),
        ({"size": "1020x1020"}, "size"),
        ({"steps": "20"}, "steps"),
        ({"steps": True}, "steps"),
        ({"seed": 1.5}, "seed"),
        ({"guidance_scale": "high"}, "guidance_scale"),
        ({"disable_safety_checker": 1}, "disable_safety_checker"),
        ({"output_format": "webp"}, "output_format"),
    ],
)
def test_values_together_would_refuse_are_400_naming_the_parameter(body, param):
    with pytest.raises(InvalidRequest) as info:
        PROVIDER.build_call(request_for(**body), TARGET)
    assert (info.value.status, info.value.param) == (400, param)


def test_unknown_models_pass_through_but_keep_the_api_wide_limits():
    body = sent(model="acme/new-model", size="512x512", n=4)
    assert (body["model"], body["width"], body["n"]) == ("acme/new-model", 512, 4)
    with pytest.raises(InvalidRequest) as info:
        sent(model="acme/new-model", n=5)
    assert info.value.message == "'n' must be 1 to 4 for together-ai."


def test_type_errors_name_the_expected_type():
    with pytest.raises(InvalidRequest) as info:
        sent(guidance_scale="high")
    assert info.value.message == "'guidance_scale' must be a number for together-ai."
    with pytest.raises(InvalidRequest) as info:
        sent(steps=2.5)
    assert info.value.message == "'steps' must be an integer for together-ai."


def reply(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_url_answer_becomes_images_without_created():
    body = {
        "id": "9154b1414e7d8b5e-ICN",
        "model": SCHNELL,
        "object": "list",
        "data": [
            {"index": 0, "url": "https://api.together.ai/imgproxy/a", "timings": {}},
            {"index": 1, "url": "https://api.together.ai/imgproxy/b", "type": "url"},
        ],
    }
    result = PROVIDER.parse_reply(reply(200, json.dumps(body).encode()), request_for())
    assert (result.status, result.body, result.created) == (200, b"", None)
    assert result.images == (
        GeneratedImage(url="https://api.together.ai/imgproxy/a"),
        GeneratedImage(url="https://api.together.ai/imgproxy/b"),
    )


def test_base64_answer_becomes_images():
    body = (
        b'{"id":"x","model":"m","object":"list",'
        b'"data":[{"index":0,"b64_json":"/9j/4A","type":null}]}'
    )
    result = PROVIDER.parse_reply(reply(200, body), request_for(response_format="b64_json"))
    assert result.images == (GeneratedImage(b64_json="/9j/4A"),)


def test_raw_image_answer_does_not_crash():
    result = PROVIDER.parse_reply(reply(200, TINY_PNG, "image/png"), request_for())
    assert result.images == (GeneratedImage(data=TINY_PNG, content_type="image/png"),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"error": {"message": "NSFW content detected", "type": "invalid_request_error"}}',
            "together-ai error: NSFW content detected",
        ),
        (
            b'{"error": {"message": "Prompt was flagged", "type": "safety_checker_error"}}',
            "together-ai error: Prompt was flagged",
        ),
        (
            b'{"error": {"type": "nsfw", "message": null}}',
            "together-ai error: the provider's content filter refused the prompt.",
        ),
    ],
)
def test_safety_checker_422_is_a_content_policy_400(body, message):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(422, body), request_for())
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "together-ai",
        }
    }
    assert info.value.response_headers() == {"x-should-retry": "false"}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (422, b'{"error": {"message": "steps must be at most 50", "type": "invalid_request"}}'),
        (422, b"not json"),
        (400, b'{"error": {"message": "NSFW content detected", "type": "invalid_request"}}'),
    ],
)
def test_other_errors_keep_their_status(status, body):
    with pytest.raises(GatewayError) as info:
        PROVIDER.parse_reply(reply(status, body), request_for())
    assert info.value.code != "content_policy_violation"
    assert info.value.status == (502 if body == b"not json" else status)


def test_rate_limit_429_may_be_retried_by_the_client():
    body = b'{"error": {"message": "rate limited", "code": "rate_limit_exceeded"}}'
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(429, body, **{"retry-after": "2"}), request_for())
    assert info.value.response_headers() == {"retry-after": "2", "x-should-retry": "true"}


def test_error_inside_200_raises():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, b'{"error": {"message": "boom"}}'), request_for())
    assert (info.value.status, info.value.message) == (502, "together-ai error: boom")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"data": []}', "application/json"),
        (b'{"data": [{"index": 0}]}', "application/json"),
        (b'{"id": "x"}', "application/json"),
        (b"[1]", "application/json"),
        (b"<html>", "text/html"),
    ],
)
def test_unusable_2xx_answers_raise(body, kind):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, kind), request_for())
