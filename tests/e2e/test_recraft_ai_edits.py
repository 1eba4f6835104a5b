"""Recraft image edits and variations through gunicorn against its fake
(tests/e2e/fakes/_recraft_edits.py), called by both SDKs: inpaint with the converted mask,
imageToImage without an area, variateImage for variations, every image's SHA-256 at the
fake equal to what the SDK sent, and a refusal made before any call."""

from __future__ import annotations

import hashlib
import io

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

from .fakes import CREATED, TINY_PNG_B64

pytestmark = pytest.mark.e2e

KEY = "rc-e2e-edits-key-0123456789"
PREFIX = "/p/recraft-ai/v1/images/"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def picture(fmt: str = "PNG", size=(320, 256), hole: bool = False) -> bytes:
    """An image (a transparent top-left quarter when ``hole``: OpenAI's edit area)."""
    image = Image.new("RGBA" if hole else "RGB", size, (200, 40, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def openai_client(gateway, fake):
    host = fake.host("recraft-ai") + "/v1"
    return openai_sdk(
        gateway, KEY, {"x-portkey-provider": "recraft-ai", "x-portkey-custom-host": host}
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway,
        provider="recraft-ai",
        Authorization=f"Bearer {KEY}",
        custom_host=fake.host("recraft-ai") + "/v1",
    )


def received(fake, tool: str):
    [call] = fake.requests_to("recraft-ai")
    assert (call.method, call.path) == ("POST", PREFIX + tool)
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["content-type"].startswith("multipart/form-data; boundary=gateway-")
    return call.form()


def mask_values(data: bytes) -> dict[tuple[int, int], int]:
    with Image.open(io.BytesIO(data)) as mask:
        assert mask.size == (320, 256)
        return {xy: mask.getpixel(xy) for xy in ((0, 0), (159, 127), (160, 0), (319, 255))}


def test_openai_sdk_edit_with_a_mask_is_an_inpaint(gateway, fake_provider):
    image, mask = picture("JPEG"), picture(hole=True)
    with openai_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=("photo.jpg", image, "image/jpeg"),
            mask=("mask.png", mask, "image/png"),
            prompt="a red door",
            n=2,
            response_format="b64_json",
            extra_body={"negative_prompt": "blur"},
        )
    assert result.created == CREATED
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64, TINY_PNG_B64]
    form = received(fake_provider, "inpaint")
    assert form.fields == [
        ("prompt", "a red door"),
        ("model", "recraftv3"),
        ("n", "2"),
        ("negative_prompt", "blur"),
        ("response_format", "b64_json"),
    ]
    [sent_image, sent_mask] = form.files
    assert (sent_image.name, sent_image.content_type, sent_image.sha256) == (
        "image",
        "image/jpeg",
        sha(image),
    )
    assert (sent_mask.name, sent_mask.content_type) == ("mask", "image/png")
    # OpenAI's transparent quarter became Recraft's white (regenerate), the rest black.
    assert mask_values(sent_mask.data) == {(0, 0): 255, (159, 127): 255, (160, 0): 0, (319, 255): 0}


def test_portkey_sdk_edit_without_an_area_is_image_to_image(gateway, fake_provider):
    image = picture("WEBP")
    with portkey_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=("p.webp", image, "image/webp"), prompt="in winter", model="recraftv4"
        )
    base = fake_provider.host("recraft-ai")
    assert [d.url for d in result.data] == [f"{base}/files/0.png"]
    form = received(fake_provider, "imageToImage")
    assert form.fields == [("prompt", "in winter"), ("model", "recraftv4"), ("strength", "0.5")]
    assert [(f.name, f.content_type, f.sha256) for f in form.files] == [
        ("image", "image/webp", sha(image))
    ]


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # create_variation
def test_openai_sdk_variation_is_a_remix(gateway, fake_provider):
    image = picture()
    with openai_client(gateway, fake_provider) as client:
        result = client.images.create_variation(
            image=("v.png", image, "image/png"), n=2, size="1024x1024"
        )
    assert len(result.data) == 2
    form = received(fake_provider, "variateImage")
    # No model named: Remix chooses; OpenAI's size is Recraft's required size.
    assert form.fields == [("size", "1024x1024"), ("n", "2")]
    assert [(f.name, f.sha256) for f in form.files] == [("image", sha(image))]


def test_portkey_sdk_variation_with_a_model_and_b64(gateway, fake_provider):
    image = picture()
    with portkey_client(gateway, fake_provider) as client:
        result = client.images.create_variation(
            image=("v.png", image, "image/png"),
            model="recraftv4",
            size="1536x1024",
            response_format="b64_json",
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64]
    form = received(fake_provider, "variateImage")
    assert form.fields == [
        ("size", "1536x1024"),
        ("model", "recraftv4"),
        ("response_format", "b64_json"),
    ]


def test_a_refused_edit_is_a_400_naming_the_field_with_nothing_sent(gateway, fake_provider):
    small = picture(size=(128, 128))
    with (
        portkey_client(gateway, fake_provider) as client,
        pytest.raises(portkey_openai.BadRequestError) as caught,
    ):
        client.images.edit(image=("s.png", small, "image/png"), prompt="x")
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "image"
    assert "256 to 4096 pixels" in caught.value.body["message"]
    assert fake_provider.requests_to("recraft-ai") == []


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_a_variation_size_recraft_lacks_is_a_400(gateway, fake_provider):
    with (
        openai_client(gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.images.create_variation(image=("v.png", picture(), "image/png"), size="256x256")
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "size"
    assert fake_provider.requests_to("recraft-ai") == []
