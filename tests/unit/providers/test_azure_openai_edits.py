"""Golden tests of Azure OpenAI's image edits (OpenAI's form on a deployment); no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, ProviderReply, Target
from gateway.providers.azure_openai import PROVIDER
from gateway.providers.capabilities import resolve_upload
from gateway.providers.openai import PROVIDER as OPENAI
from tests.e2e.fake_multipart import parse
from tests.e2e.fakes import TINY_PNG_B64
from tests.unit.providers.test_openai_edits import upload

OPTIONS = {"resource_name": "my-res", "deployment_id": "gpt-image-1"}


def target(base_url=None, **options):
    return Target("azure-openai", base_url, "az-key", options={**OPTIONS, **options})


def edit(params: dict, images=None, mask=None):
    images = images or (upload(filename="cat.png", data=b"\x89PNG-fake"),)
    return resolve_upload(PROVIDER.edits.capabilities, EDITS, params, images, mask)


def test_no_variations():
    assert PROVIDER.variations is None
    assert PROVIDER.edits is not None


def test_deployment_url_with_the_edit_api_version_and_api_key():
    request = edit({"prompt": "a hat", "n": 2})
    call = PROVIDER.edits.build_call(request, target())
    assert call.url == (
        "https://my-res.openai.azure.com/openai/deployments/gpt-image-1/images/edits"
        "?api-version=2025-04-01-preview"
    )
    boundary = call.headers["Content-Type"].split("boundary=")[1]
    assert call.headers == {
        "api-key": "az-key",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
    }
    expected = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="prompt"\r\n\r\na hat\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="n"\r\n\r\n2\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="image"; filename="cat.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
        "\x89PNG-fake\r\n"
        f"--{boundary}--\r\n"
    ).encode("latin-1")
    assert call.body.to_bytes() == expected


def test_same_form_as_openai():
    request = edit({"prompt": "p", "model": "gpt-image-1.5", "response_format": "url"})
    azure = PROVIDER.edits.build_call(request, target()).body
    openai = OPENAI.edits.build_call(request, Target("openai", None, "sk")).body
    assert azure.to_bytes() == openai.to_bytes()


def test_response_format_dropped_and_several_images_as_array():
    images = (upload("image[0]", filename="a.png"), upload("image[1]", "webp"))
    mask = upload("mask", filename="m.png")
    request = edit({"prompt": "p", "response_format": "b64_json"}, images, mask)
    call = PROVIDER.edits.build_call(request, target())
    sent = parse(call.headers["Content-Type"], call.body.to_bytes())
    assert sent.fields == [("model", "gpt-image-1"), ("prompt", "p")]
    assert [(f.name, f.filename, f.content_type, f.sha256) for f in sent.files] == [
        ("image[]", "a.png", "image/png", images[0].sha256),
        ("image[]", "image-2.webp", "image/webp", images[1].sha256),
        ("mask", "m.png", "image/png", mask.sha256),
    ]


def test_target_api_version_and_v1_form_and_entra_token():
    request = edit({"prompt": "p"})
    own = PROVIDER.edits.build_call(request, target(api_version="2025-06-01-preview"))
    assert own.url.endswith("/images/edits?api-version=2025-06-01-preview")
    v1 = PROVIDER.edits.build_call(request, target(api_version="v1"))
    assert v1.url == "https://my-res.openai.azure.com/openai/v1/images/edits"
    entra = PROVIDER.edits.build_call(request, target(azure_ad_token="Bearer tok"))
    assert entra.headers["Authorization"] == "Bearer tok"
    assert "api-key" not in entra.headers


def test_bare_resource_base_url_gains_openai():
    call = PROVIDER.edits.build_call(edit({"prompt": "p"}), target("https://r.openai.azure.com"))
    assert call.url.startswith("https://r.openai.azure.com/openai/deployments/gpt-image-1/")


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"prompt": "p", "model": "gpt-image-1", "size": "512x512"}, "size"),
        ({"prompt": "p", "model": "gpt-image-1-mini", "input_fidelity": "high"}, "input_fidelity"),
        ({"prompt": "p", "n": 11}, "n"),
    ],
)
def test_refusals(params, param):
    with pytest.raises(InvalidRequest) as caught:
        edit(params)
    assert caught.value.param == param


def reply(status: int, body: dict) -> ProviderReply:
    return ProviderReply(status, {"content-type": "application/json"}, json.dumps(body).encode())


def test_answer_passes_through_and_content_filter_is_a_400():
    body = {"created": 1700000000, "data": [{"b64_json": TINY_PNG_B64}]}
    result = PROVIDER.edits.parse_reply(reply(200, body), edit({"prompt": "p"}))
    assert result.body == json.dumps(body).encode()
    flagged = {
        "created": 1700000000,
        "data": [
            {"b64_json": TINY_PNG_B64, "content_filter_results": {"sexual": {"filtered": True}}}
        ],
    }
    with pytest.raises(ProviderError) as caught:
        PROVIDER.edits.parse_reply(reply(200, flagged), edit({"prompt": "p"}))
    assert caught.value.status == 400


def test_edit_price_unknown():
    assert PROVIDER.edits.price(edit({"prompt": "p"})) is None
