"""DeepInfra image edits through gunicorn against its fake (tests/e2e/fakes/_deepinfra_edits.py),
called by both SDKs: OpenAI's form on /v1/openai/images/edits with every file's SHA-256 equal
to what the SDK sent, one call per image; variations are refused before any call."""

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

KEY = "di-e2e-edits-key-0123456789"
PATH = "/p/deepinfra/v1/openai/images/edits"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def picture(fmt: str = "PNG", hole: bool = False) -> bytes:
    image = Image.new("RGBA" if hole else "RGB", (64, 48), (200, 40, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, 32, 24))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def openai_client(gateway, fake):
    host = fake.host("deepinfra") + "/v1/openai"
    return openai_sdk(
        gateway, KEY, {"x-portkey-provider": "deepinfra", "x-portkey-custom-host": host}
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway,
        provider="deepinfra",
        Authorization=f"Bearer {KEY}",
        custom_host=fake.host("deepinfra") + "/v1/openai",
    )


def forms(fake) -> list:
    calls = fake.requests_to("deepinfra")
    for call in calls:
        assert (call.method, call.path) == ("POST", PATH)
        assert call.headers["authorization"] == f"Bearer {KEY}"
        assert call.headers["content-type"].startswith("multipart/form-data; boundary=gateway-")
    return [call.form() for call in calls]


def test_openai_sdk_edit_with_two_images_and_a_mask(gateway, fake_provider):
    first, second, mask = picture(), picture("JPEG"), picture(hole=True)
    with openai_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=[("a.png", first, "image/png"), ("b.jpg", second, "image/jpeg")],
            mask=("m.png", mask, "image/png"),
            prompt="put them on a beach",
            size="1024x768",
            response_format="b64_json",
            extra_body={"guidance": "3.5"},
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64]
    [form] = forms(fake_provider)
    assert form.fields == [
        ("model", "Qwen/Qwen-Image-Edit"),
        ("prompt", "put them on a beach"),
        ("n", "1"),
        ("size", "1024x768"),
        ("guidance", "3.5"),
    ]
    assert [(f.name, f.content_type, f.sha256) for f in form.files] == [
        ("image", "image/png", sha(first)),
        ("image", "image/jpeg", sha(second)),
        ("mask", "image/png", sha(mask)),
    ]


def test_portkey_sdk_edit_for_two_images_makes_two_calls_and_hosts_a_url(
    gateway, fake_provider, http
):
    image = picture("WEBP")
    with portkey_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=("p.webp", image, "image/webp"),
            prompt="in winter",
            model="black-forest-labs/FLUX.1-Kontext-dev",
            n=2,
        )
    assert len(result.data) == 2
    for item in result.data:
        assert item.url.startswith(gateway.base_url)
        assert http.get(item.url, timeout=10).content.startswith(b"\x89PNG")
    for form in forms(fake_provider):
        assert form.fields == [
            ("model", "black-forest-labs/FLUX.1-Kontext-dev"),
            ("prompt", "in winter"),
            ("n", "1"),
        ]
        assert [(f.name, f.sha256) for f in form.files] == [("image", sha(image))]
    assert len(forms(fake_provider)) == 2


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # create_variation
def test_variations_are_refused_before_any_call(gateway, fake_provider):
    with (
        openai_client(gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as first,
    ):
        client.images.create_variation(image=("v.png", picture(), "image/png"))
    with (
        portkey_client(gateway, fake_provider) as client,
        pytest.raises(portkey_openai.BadRequestError) as second,
    ):
        client.images.create_variation(image=("v.png", picture(), "image/png"))
    for caught in (first, second):
        assert caught.value.status_code == 400
        assert caught.value.body["code"] == "operation_not_supported"
    assert fake_provider.requests_to("deepinfra") == []
