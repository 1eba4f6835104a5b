"""Stability AI edits through real gunicorn, with both SDKs, against the fake Stability
API (which checks each Edit service's form and sd3 image-to-image as the API reference
describes them): the answer, and the multipart form the fake got."""

from __future__ import annotations

import base64
import io

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.fakes import TINY_PNG
from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

pytestmark = pytest.mark.e2e

KEY = "sk-e2e-stability-edits-0123456789"
EDIT = "/p/stability-ai/v2beta/stable-image/edit/{}"
SD3 = "/p/stability-ai/v2beta/stable-image/generate/sd3"


@pytest.fixture(scope="module")
def stability_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch, fake_provider):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    fake_provider.clear()


def png(size=(512, 384), hole=False) -> bytes:
    """An RGB PNG, or (``hole``) an RGBA one whose top-left quarter is transparent."""
    image = Image.new("RGBA" if hole else "RGB", size, (10, 120, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def openai_client(gateway, fake):
    host = fake.host("stability-ai")
    return openai_sdk(
        gateway, KEY, {"x-portkey-provider": "stability-ai", "x-portkey-custom-host": host}
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway,
        provider="stability-ai",
        Authorization=f"Bearer {KEY}",
        custom_host=fake.host("stability-ai"),
    )


def grey(data: bytes, xy: tuple[int, int]) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("L").getpixel(xy)


def test_openai_sdk_edit_with_a_mask_is_inpaint_with_a_white_means_edit_mask(
    stability_gateway, fake_provider
):
    image, mask = png(), png(hole=True)
    with openai_client(stability_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("room.png", image, "image/png"),
            mask=("mask.png", mask, "image/png"),
            prompt="a red armchair",
            n=2,
            response_format="b64_json",
            extra_body={"negative_prompt": "people", "seed": "42"},
        )
    assert [base64.b64decode(d.b64_json) for d in result.data] == [TINY_PNG] * 2
    sent = fake_provider.requests_to("stability-ai")
    assert [r.path for r in sent] == [EDIT.format("inpaint")] * 2  # one image per call
    for call in sent:
        assert call.headers["authorization"] == f"Bearer {KEY}"
        assert call.headers["accept"] == "application/json"
        form = call.form()
        assert form.fields == [
            ("prompt", "a red armchair"),
            ("negative_prompt", "people"),
            ("seed", "42"),
        ]
        assert form.file("image").data == image  # streamed unchanged
        converted = form.file("mask")
        assert (converted.content_type, converted.format) == ("image/png", "png")
        assert grey(converted.data, (10, 10)) == 255  # transparent in OpenAI's: edit
        assert grey(converted.data, (400, 300)) == 0


def test_openai_sdk_edit_without_a_mask_is_sd3_image_to_image(stability_gateway, fake_provider):
    with openai_client(stability_gateway, fake_provider) as client:
        result = client.images.edit(
            model="sd3.5-medium",
            image=("room.png", png(), "image/png"),
            prompt="in autumn",
            extra_body={"strength": "0.4"},
        )
    # The caller asked for no format: url (hosted by the gateway, Stability sends base64).
    assert result.data[0].url.startswith(stability_gateway.base_url + "/")
    [sent] = fake_provider.requests_to("stability-ai")
    assert sent.path == SD3
    assert sent.form().fields == [
        ("prompt", "in autumn"),
        ("mode", "image-to-image"),
        ("model", "sd3.5-medium"),
        ("strength", "0.4"),
    ]


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_openai_sdk_variation_is_a_clear_400_without_a_call(stability_gateway, fake_provider):
    client = openai_client(stability_gateway, fake_provider)
    with client, pytest.raises(openai.BadRequestError) as info:
        client.images.create_variation(image=("a.png", png(), "image/png"))
    error = info.value.body
    assert error["code"] == "operation_not_supported"
    assert "stability-ai" in error["message"]
    assert fake_provider.requests_to("stability-ai") == []


def test_portkey_sdk_dall_e_2_style_edit_and_other_services(stability_gateway, fake_provider):
    with portkey_client(stability_gateway, fake_provider) as client:
        painted = client.images.edit(
            image=("hole.png", png(hole=True), "image/png"),
            prompt="a window",
            response_format="b64_json",
        )
        guided = client.images.edit(
            image=("room.png", png(), "image/png"), prompt="at night", response_format="b64_json"
        )
        replaced = client.images.edit(
            model="search-and-replace",
            image=("room.png", png(), "image/png"),
            prompt="a cat",
            response_format="b64_json",
            extra_body={"search_prompt": "armchair", "output_format": "webp"},
        )
        outpainted = client.images.edit(
            model="outpaint",
            image=("room.png", png(), "image/png"),
            prompt="more room",
            response_format="b64_json",
            extra_body={"left": "128", "right": "128"},
        )
    for result in (painted, guided, replaced, outpainted):
        assert base64.b64decode(result.data[0].b64_json) == TINY_PNG
    inpaint, sd3, search, outpaint = fake_provider.requests_to("stability-ai")
    assert inpaint.path == EDIT.format("inpaint")
    assert grey(inpaint.form().file("mask").data, (10, 10)) == 255  # the image's own hole
    assert (sd3.path, sd3.form().get("strength")) == (SD3, "0.7")
    assert search.path == EDIT.format("search-and-replace")
    assert search.form().fields == [
        ("prompt", "a cat"),
        ("search_prompt", "armchair"),
        ("output_format", "webp"),
    ]
    assert outpaint.path == EDIT.format("outpaint")
    assert outpaint.form().fields == [("prompt", "more room"), ("left", "128"), ("right", "128")]


def test_portkey_sdk_refusals_name_the_field_before_any_call(stability_gateway, fake_provider):
    with portkey_client(stability_gateway, fake_provider) as client:
        with pytest.raises(portkey_openai.BadRequestError) as too_small:
            client.images.edit(image=("a.png", png((40, 40)), "image/png"), prompt="x")
        with pytest.raises(portkey_openai.BadRequestError) as no_area:
            client.images.edit(model="inpaint", image=("a.png", png(), "image/png"), prompt="x")
    assert too_small.value.body["param"] == "image"
    assert no_area.value.body["param"] == "mask"
    assert fake_provider.requests_to("stability-ai") == []
