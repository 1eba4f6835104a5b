"""Golden tests of the Recraft transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.recraft_ai import PROVIDER

KEY = "rc-test-key-0123"
TARGET = Target(provider="recraft-ai", base_url=None, api_key=KEY)


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_recraft_and_its_image_host():
    assert get("recraft-ai") is PROVIDER
    assert PROVIDER.image_hosts == ("img.recraft.ai",)


def test_typical_request_url_headers_and_body():
    call = call_for(
        model="recraftv3",
        n=2,
        size="1365x1024",
        style="digital_illustration",
        substyle="pixel_art",
        response_format="b64_json",
        negative_prompt="text",
    )
    assert (call.method, call.url) == (
        "POST",
        "https://external.api.recraft.ai/v1/images/generations",
    )
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"prompt":"a red fox","model":"recraftv3","n":2,"response_format":"b64_json",'
        b'"style":"digital_illustration","substyle":"pixel_art","negative_prompt":"text",'
        b'"size":"1365x1024"}'
    )


def test_defaults_always_name_the_model():
    assert call_for().body == b'{"prompt":"a red fox","model":"recraftv3"}'


def test_artistic_level_goes_inside_controls_next_to_the_callers_controls():
    call = call_for(artistic_level=4, controls={"colors": [{"rgb": [0, 255, 0]}]})
    assert json.loads(call.body)["controls"] == {
        "colors": [{"rgb": [0, 255, 0]}],
        "artistic_level": 4,
    }


def test_openai_only_values_are_not_sent():
    call = call_for(style="vivid", quality="hd", user="u", seed=3)
    assert call.body == b'{"prompt":"a red fox","model":"recraftv3"}'


def test_style_id_and_text_layout_pass_through():
    layout = [{"text": "AI", "bbox": [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2], [0.1, 0.2]]}]
    body = json.loads(call_for(style_id="229b2a75", text_layout=layout).body)
    assert (body["style_id"], body["text_layout"]) == ("229b2a75", layout)


def test_custom_host_replaces_the_base():
    target = Target(provider="recraft-ai", base_url="http://127.0.0.1:9/p/rc/v1", api_key=KEY)
    assert call_for(target).url == "http://127.0.0.1:9/p/rc/v1/images/generations"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 11}, "n"),  # Portkey clamps to 2; 7 to 10 are two calls of at most 6
        ({"size": "1024x768"}, "size"),
        ({"size": "auto"}, "size"),
        ({"model": "recraftv4", "size": "1365x1024"}, "size"),
        ({"model": "recraftv4_pro", "size": "1024x1024"}, "size"),
        ({"model": "recraftv4", "style": "digital_illustration"}, "style"),
        ({"model": "recraftv4_1", "negative_prompt": "text"}, "negative_prompt"),
        ({"model": "recraftv2", "artistic_level": 3}, "artistic_level"),
        ({"artistic_level": 6}, "artistic_level"),
        ({"prompt": "x" * 1001}, "prompt"),
    ],
)
def test_capability_violations_are_400_naming_the_parameter(body, param):
    with pytest.raises(InvalidRequest) as info:
        request_for(**body)
    assert info.value.param == param


def test_v4_models_get_their_own_sizes_and_longer_prompts():
    assert request_for(model="recraftv4_pro").size == "2048x2048"
    body = json.loads(call_for(model="recraftv4_1", size="1344x768", prompt="y" * 5000).body)
    assert (body["model"], body["size"]) == ("recraftv4_1", "1344x768")


SUCCESS = {"created": 1700000000, "credits": 40, "data": [{"image_id": "i-1", "url": "u"}]}


def test_answer_in_the_asked_format_passes_through():
    raw = json.dumps(SUCCESS).encode()
    result = PROVIDER.parse_reply(reply(200, raw), request_for())
    assert (result.status, result.body, result.images) == (200, raw, None)


def test_error_keeps_status_and_reads_recrafts_shape():
    error = {"code": "invalid_size", "message": "Size is not supported"}
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, error), request_for())
    assert info.value.status == 400
    assert info.value.to_body()["error"] == {
        "message": "recraft-ai error: Size is not supported",
        "type": "upstream_error",
        "param": None,
        "code": "invalid_size",
        "provider": "recraft-ai",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "not enough credits", "code": "no_credits"}},
        {"error": "not enough credits", "data": [{"url": "u"}]},
    ],
)
def test_a_2xx_body_with_error_is_an_error_even_next_to_data(body):
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body), request_for())
    assert (info.value.status, info.value.message) == (
        502,
        "recraft-ai error: not enough credits",
    )


def test_raw_image_answer_is_an_invalid_answer_not_a_crash():
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, b"<svg/>", "image/svg+xml"), request_for())
