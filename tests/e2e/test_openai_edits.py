"""OpenAI image edits and variations through gunicorn against the fake OpenAI, called by
both SDKs: the form the fake received (fields, file parts, each file's SHA-256 equal to
what the SDK sent, so the bytes went through unchanged) and the answer."""

from __future__ import annotations

import hashlib
import io

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

from .fakes import TINY_PNG_B64

pytestmark = pytest.mark.e2e

KEY = "sk-test-openai-edits-0123456789abcdef"
REVISED = "A fake revised prompt."


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def image(fmt: str = "PNG", size=(64, 64), hole: bool = True) -> bytes:
    """An image (a transparent corner when ``hole``: dall-e-2's edit area)."""
    picture = Image.new("RGBA" if fmt != "JPEG" else "RGB", size, (200, 40, 30))
    if hole and fmt != "JPEG":
        picture.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def openai_client(gateway, **headers):
    return openai_sdk(gateway, KEY, headers)


def portkey_client(gateway, **options):
    return portkey_sdk(gateway, provider="openai", Authorization=f"Bearer {KEY}", **options)


def received(fake, path: str = "/v1/images/edits"):
    [call] = fake.requests
    assert (call.method, call.path) == ("POST", path)
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["content-type"].startswith("multipart/form-data; boundary=gateway-")
    return call.form()


def files(form) -> list[tuple[str, str, str | None, str]]:
    return [(f.name, f.filename, f.content_type, f.sha256) for f in form.files]


def test_openai_sdk_edits_several_images_with_a_mask_on_the_default_model(gateway, fake_provider):
    first, second, mask = image(), image("WEBP"), image()
    with openai_client(gateway) as client:
        result = client.images.edit(
            image=[("a.png", first, "image/png"), ("b.webp", second, "image/webp")],
            mask=("mask.png", mask, "image/png"),
            prompt="a red boat",
            quality="low",
        )
    assert [(d.b64_json, d.revised_prompt) for d in result.data] == [(TINY_PNG_B64, REVISED)]
    form = received(fake_provider)
    # The default model (gpt-image-1.5) is named first; the rest in the SDK's order.
    assert form.fields == [("model", "gpt-image-1.5"), ("prompt", "a red boat"), ("quality", "low")]
    assert files(form) == [
        ("image[]", "a.png", "image/png", sha(first)),
        ("image[]", "b.webp", "image/webp", sha(second)),
        ("mask", "mask.png", "image/png", sha(mask)),
    ]


def test_openai_sdk_gpt_image_url_is_hosted_and_response_format_left_out(
    gateway, fake_provider, http
):
    photo = image("JPEG")
    with openai_client(gateway) as client:
        result = client.images.edit(
            model="gpt-image-1",
            # A wrong declared type and a path as name: sent typed by the real format.
            image=("../secret/photo.png", photo, "application/octet-stream"),
            prompt="a hat",
            n=2,
            response_format="url",
            output_format="jpeg",
            output_compression=70,
            input_fidelity="high",
        )
    assert len(result.data) == 2
    for item in result.data:
        hosted = http.get(item.url, timeout=30)
        assert hosted.status_code == 200
        assert hosted.content.startswith(b"\x89PNG")
    form = received(fake_provider)
    assert dict(form.fields) == {
        "model": "gpt-image-1",
        "prompt": "a hat",
        "n": "2",
        "output_format": "jpeg",
        "output_compression": "70",
        "input_fidelity": "high",
    }
    assert files(form) == [("image", "image.jpg", "image/jpeg", sha(photo))]


def test_openai_sdk_dall_e_2_edit_url_answer_passes_through(gateway, fake_provider):
    picture = image()
    with openai_client(gateway) as client:
        result = client.images.edit(
            model="dall-e-2", image=picture, prompt="a cat", size="256x256", response_format="url"
        )
    assert [d.url for d in result.data] == ["https://images.example/fake-0.png"]
    form = received(fake_provider)
    assert form.fields == [  # the SDK's order
        ("prompt", "a cat"),
        ("model", "dall-e-2"),
        ("response_format", "url"),
        ("size", "256x256"),
    ]
    [part] = form.files
    assert (part.name, part.content_type, part.sha256) == ("image", "image/png", sha(picture))


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_openai_sdk_variation(gateway, fake_provider):
    picture = image(hole=False)
    with openai_client(gateway, **{"x-portkey-trace-id": "openai-variation"}) as client:
        result = client.images.create_variation(
            image=("v.png", picture, "image/png"), n=2, size="512x512", response_format="b64_json"
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64] * 2
    form = received(fake_provider, "/v1/images/variations")
    assert form.fields == [
        ("model", "dall-e-2"),
        ("n", "2"),
        ("response_format", "b64_json"),
        ("size", "512x512"),
    ]
    assert files(form) == [("image", "v.png", "image/png", sha(picture))]
    [row] = gateway.log_rows("openai-variation")
    assert (row["operation"], row["status"], row["provider"]) == ("variations", 200, "openai")
    assert row["cost_micro_usd"] == 2 * 18_000  # dall-e-2 512x512


def test_openai_upstream_error_reaches_the_sdk(gateway, fake_provider):
    host = {"x-portkey-custom-host": fake_provider.upstream("status/429")}
    with openai_client(gateway, **host) as client, pytest.raises(openai.RateLimitError) as caught:
        client.images.edit(image=image(), prompt="x")
    assert caught.value.status_code == 429
    [call] = fake_provider.requests
    assert call.path == "/status/429/v1/images/edits"


def test_portkey_sdk_edits_and_varies(gateway, fake_provider):
    picture, mask = image(), image()
    with portkey_client(gateway, trace_id="portkey-openai-edit") as client:
        edited = client.images.edit(
            image=("p.png", picture, "image/png"),
            mask=("m.png", mask, "image/png"),
            prompt="a boat",
            model="gpt-image-1",
            response_format="b64_json",
        )
        form = received(fake_provider)
        fake_provider.clear()
        varied = client.images.create_variation(image=("v.png", picture, "image/png"))
    assert edited.data[0].b64_json == TINY_PNG_B64
    assert form.fields == [("prompt", "a boat"), ("model", "gpt-image-1")]
    assert files(form) == [
        ("image", "p.png", "image/png", sha(picture)),
        ("mask", "m.png", "image/png", sha(mask)),
    ]
    assert varied.data[0].url == "https://images.example/fake-0.png"
    varied_form = received(fake_provider, "/v1/images/variations")
    assert varied_form.fields == [("model", "dall-e-2")]
    assert files(varied_form) == [("image", "v.png", "image/png", sha(picture))]


def test_portkey_sdk_variation_of_a_gpt_image_model_is_a_clear_400(gateway, fake_provider):
    with portkey_client(gateway) as client, pytest.raises(portkey_openai.BadRequestError) as caught:
        client.images.create_variation(image=("v.png", image(), "image/png"), model="gpt-image-1")
    assert caught.value.body["param"] == "model"
    assert fake_provider.requests == []  # refused before any call
    assert caught.value.body["code"] == "unsupported_model"
