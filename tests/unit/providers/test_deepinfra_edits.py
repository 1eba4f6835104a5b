"""Golden tests of DeepInfra's edits (its OpenAI-compatible /images/edits): the form each
OpenAI edit becomes (files as sent, the mask unconverted), the refusals, the answers and
the missing price; the fake DeepInfra takes every form built; no HTTP."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, VARIATIONS, ProviderReply, Target
from gateway.providers.capabilities import resolve_upload
from gateway.providers.deepinfra import PROVIDER
from tests.e2e import fake_multipart
from tests.e2e.fakes import TINY_PNG_B64
from tests.e2e.fakes import deepinfra as fake
from tests.upload_images import encoded, upload

KEY = "di-test-0123"
TARGET = Target(provider="deepinfra", base_url=None, api_key=KEY)
URL = "https://api.deepinfra.com/v1/openai/images/edits"


def rgb(fmt="PNG") -> bytes:
    return encoded(Image.new("RGB", (64, 48), (10, 120, 30)), fmt)


def hole() -> bytes:
    image = Image.new("RGBA", (64, 48), (10, 120, 30, 255))
    image.paste((0, 0, 0, 0), (0, 0, 32, 24))
    return encoded(image)


def request_for(params, images, mask=None):
    caps = PROVIDER.edits.capabilities
    return resolve_upload(caps, EDITS, params, tuple(images), mask)


def build(params, images, mask=None):
    call = PROVIDER.edits.build_call(request_for(params, images, mask), TARGET)
    form = fake_multipart.parse(call.headers["Content-Type"], call.body.to_bytes())
    return call, form


def fake_reply(call):
    headers = {k.lower(): v for k, v in call.headers.items()}
    path = "/v1/openai/images/edits"
    return fake.handle(fake.FakeRequest("POST", path, "", headers, call.body.to_bytes(), "x"))


def test_the_openai_form_is_forwarded_with_the_mask_as_sent():
    first, second = upload(rgb(), "image[0]"), upload(rgb("WEBP"), "image[1]")
    mask = upload(hole(), "mask")
    params = {"prompt": "make it night", "size": "1024x768", "negative_prompt": "blur"}
    call, form = build(params, [first, second], mask)
    assert (call.method, call.url) == ("POST", URL)
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert form.fields == [
        ("model", "Qwen/Qwen-Image-Edit"),
        ("prompt", "make it night"),
        ("n", "1"),
        ("size", "1024x768"),
        ("negative_prompt", "blur"),
    ]
    assert [(f.name, f.filename, f.content_type, f.sha256) for f in form.files] == [
        ("image", "image.png", "image/png", first.sha256),
        ("image", "image.webp", "image/webp", second.sha256),
        ("mask", "mask.png", "image/png", mask.sha256),  # OpenAI's semantics: unconverted
    ]
    reply = fake_reply(call)
    assert reply.status == 200


def test_openai_only_fields_are_not_sent_and_auto_size_is_left_out():
    params = {
        "prompt": "p",
        "model": "black-forest-labs/FLUX.1-Kontext-dev",
        "response_format": "url",
        "quality": "high",
        "background": "transparent",
        "guidance": "2.5",
        "user": "u1",
    }
    call, form = build(params, [upload(rgb("JPEG"))])
    assert form.fields == [
        ("model", "black-forest-labs/FLUX.1-Kontext-dev"),
        ("prompt", "p"),
        ("n", "1"),
        ("guidance", "2.5"),
        ("user", "u1"),
    ]
    assert fake_reply(call).status == 200


def test_a_custom_host_replaces_the_base():
    target = Target(provider="deepinfra", base_url="http://127.0.0.1:9/p/di/v1/openai", api_key=KEY)
    request = request_for({"prompt": "p"}, [upload(rgb())])
    call = PROVIDER.edits.build_call(request, target)
    assert call.url == "http://127.0.0.1:9/p/di/v1/openai/images/edits"


def test_one_image_per_call_and_n_is_fanned_out():
    assert PROVIDER.edits.capabilities.per_call("Qwen/Qwen-Image-Edit") == 1
    request = request_for({"prompt": "p", "n": 2}, [upload(rgb())])
    with pytest.raises(InvalidRequest) as caught:
        PROVIDER.edits.build_call(request, TARGET)
    assert caught.value.param == "n"


def test_a_prompt_is_required():
    with pytest.raises(InvalidRequest) as caught:
        build({"prompt": ""}, [upload(rgb())])
    assert caught.value.param == "prompt"


def test_answers_and_errors_read_as_generations():
    request = request_for({"prompt": "p"}, [upload(rgb())])
    body = {"created": 1, "data": [{"b64_json": TINY_PNG_B64}]}
    ok = ProviderReply(200, {"content-type": "application/json"}, json.dumps(body).encode())
    assert [i.b64_json for i in PROVIDER.edits.parse_reply(ok, request).images] == [TINY_PNG_B64]
    detail = {"detail": {"error": "image too large"}}
    bad = ProviderReply(422, {"content-type": "application/json"}, json.dumps(detail).encode())
    with pytest.raises(ProviderError) as caught:
        PROVIDER.edits.parse_reply(bad, request)
    assert "image too large" in str(caught.value)


def test_no_price_and_no_variations():
    assert PROVIDER.edits.price(request_for({"prompt": "p"}, [upload(rgb())])) is None
    assert PROVIDER.serving(VARIATIONS) is None


@pytest.mark.parametrize(
    ("fields", "files", "where"),
    [
        ([("prompt", "p")], [("image", rgb())], "model"),
        ([("model", "m"), ("prompt", "p")], [], "image"),
        ([("model", "m"), ("prompt", "p"), ("quality", "high")], [("image", rgb())], "quality"),
        ([("model", "m"), ("prompt", "p")], [("image", rgb()), ("mask", rgb("JPEG"))], "mask"),
        ([("model", "m"), ("prompt", "p")], [("image[]", rgb())], "image"),
    ],
)
def test_the_fake_refuses_what_deepinfra_would(fields, files, where):
    from gateway.providers.multipart import encode_files

    parts = [(name, data, f"{name}.bin", "application/octet-stream") for name, data in files]
    body, content_type = encode_files(fields, parts)
    headers = {"content-type": content_type, "authorization": "Bearer k"}
    reply = fake.handle(
        fake.FakeRequest("POST", "/v1/openai/images/edits", "", headers, body.to_bytes(), "x")
    )
    assert reply.status == 422
    assert json.loads(reply.body)["detail"][0]["loc"] == ["body", where]
