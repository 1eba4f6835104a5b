"""Golden tests of the SiliconFlow transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.siliconflow import PROVIDER

KEY = "sk-sf-test-0123"
TARGET = Target(provider="siliconflow", base_url=None, api_key=KEY)
IMAGE_URL = "https://sc-maas.oss-cn-shanghai.aliyuncs.com/outputs/a.png?Expires=1"


def request_for(**body):
    body = {"prompt": "a red fox", **body}
    return resolve(PROVIDER.capabilities, body, json.dumps(body).encode())


def call_for(target=TARGET, **body):
    return PROVIDER.build_call(request_for(**body), target)


def reply(status, payload, content_type="application/json", **headers):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return ProviderReply(status, {"content-type": content_type, **headers}, raw)


def test_registry_has_siliconflow_and_its_image_hosts():
    assert get("siliconflow") is PROVIDER
    assert "sc-maas.oss-cn-shanghai.aliyuncs.com" in PROVIDER.image_hosts


def test_typical_request_url_headers_and_body():
    call = call_for(
        n=2,
        size="960x1280",
        negative_prompt="blurry",
        seed=42,
        num_inference_steps=25,
        guidance_scale=7.5,
        response_format="b64_json",
        style="vivid",
    )
    assert (call.method, call.url) == ("POST", "https://api.siliconflow.cn/v1/images/generations")
    assert call.headers == {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    assert call.body == (
        b'{"model":"Kwai-Kolors/Kolors","prompt":"a red fox","image_size":"960x1280",'
        b'"batch_size":2,"negative_prompt":"blurry","seed":42,"num_inference_steps":25,'
        b'"guidance_scale":7.5}'
    )


def test_defaults_always_send_the_required_image_size():
    assert call_for().body == (
        b'{"model":"Kwai-Kolors/Kolors","prompt":"a red fox","image_size":"1024x1024"}'
    )


@pytest.mark.parametrize("size", [None, "auto"])
def test_qwen_image_gets_its_own_default_size(size):
    body = json.loads(call_for(model="Qwen/Qwen-Image", size=size, cfg=4.0).body)
    assert body == {
        "model": "Qwen/Qwen-Image",
        "prompt": "a red fox",
        "image_size": "1328x1328",
        "cfg": 4.0,
    }


def test_portkeys_batch_size_is_accepted_when_n_is_absent():
    assert json.loads(call_for(batch_size=3).body)["batch_size"] == 3
    assert "batch_size" not in json.loads(call_for(n=1, batch_size=3).body)


def test_custom_host_replaces_the_base():
    target = Target(provider="siliconflow", base_url="https://api.siliconflow.com/v1", api_key=KEY)
    assert call_for(target).url == "https://api.siliconflow.com/v1/images/generations"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"n": 11}, "n"),
        ({"model": "Qwen/Qwen-Image", "n": 11}, "n"),
        ({"model": "Qwen/Qwen-Image", "guidance_scale": 7}, "guidance_scale"),
        ({"cfg": 4}, "cfg"),
        ({"num_inference_steps": 101}, "num_inference_steps"),
        ({"batch_size": 5}, "batch_size"),
    ],
)
def test_capability_violations_are_400_naming_the_parameter(body, param):
    with pytest.raises(InvalidRequest) as info:
        request_for(**body)
    assert info.value.param == param


def test_native_answer_becomes_openai_shaped_images():
    native = {
        "images": [{"url": IMAGE_URL}, {"url": IMAGE_URL + "2"}],
        "timings": {"inference": 1.2},
    }
    result = PROVIDER.parse_reply(reply(200, native, **{"retry-after": "1"}), request_for())
    assert (result.status, result.body, result.headers, result.created) == (
        200,
        b"",
        {"retry-after": "1"},
        None,
    )
    assert result.images == (GeneratedImage(url=IMAGE_URL), GeneratedImage(url=IMAGE_URL + "2"))


def test_created_is_kept_when_given():
    native = {"images": [{"url": IMAGE_URL}], "created": 1761280528, "seed": 1}
    assert PROVIDER.parse_reply(reply(200, native), request_for()).created == 1761280528


def test_error_keeps_status_and_reads_code_and_message():
    error = {
        "code": 20012,
        "message": "Model does not exist. Please check it carefully.",
        "data": None,
    }
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, error), request_for())
    assert info.value.status == 400
    assert info.value.to_body()["error"] == {
        "message": "siliconflow error: Model does not exist. Please check it carefully.",
        "type": "upstream_error",
        "param": None,
        "code": "20012",
        "provider": "siliconflow",
    }


def test_error_inside_a_200_raises():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, {"code": 30001, "message": "no balance"}), request_for())
    assert (info.value.status, info.value.message, info.value.code) == (
        502,
        "siliconflow error: no balance",
        "30001",
    )


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ({"images": []}, "application/json"),
        ({"images": [{"seed": 1}]}, "application/json"),
        ([1], "application/json"),
        (b"\x89PNG", "image/png"),
    ],
)
def test_other_2xx_bodies_are_invalid_answers(payload, content_type):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, payload, content_type), request_for())
