"""Azure OpenAI image edits through gunicorn against its fake (tests/e2e/fakes/azure_openai.py),
called by both SDKs: the deployment URL with the edit api-version, Azure's auth header,
OpenAI's form with every file's SHA-256 equal to what the SDK sent; no variations."""

from __future__ import annotations

import hashlib

import openai
import pytest
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

from .fakes import TINY_PNG_B64
from .test_openai_edits import image

pytestmark = pytest.mark.e2e

KEY = "az-e2e-edits-key-0123456789"
PREFIX = "/p/azure-openai"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def openai_client(gateway, fake, deployment: str = "gpt-image-1", **headers):
    return openai_sdk(
        gateway,
        KEY,
        {
            "x-portkey-provider": "azure-openai",
            "x-portkey-custom-host": fake.host("azure-openai"),
            "x-portkey-azure-deployment-id": deployment,
            **headers,
        },
    )


def portkey_client(gateway, fake, **options):
    return portkey_sdk(
        gateway,
        provider="azure-openai",
        Authorization=f"Bearer {KEY}",
        custom_host=fake.host("azure-openai"),
        azure_deployment_id="gpt-image-1",
        **options,
    )


def received(fake, query: str = "api-version=2025-04-01-preview"):
    [call] = fake.requests_to("azure-openai")
    assert (call.method, call.path, call.query) == (
        "POST",
        PREFIX + "/deployments/gpt-image-1/images/edits",
        query,
    )
    assert call.headers["api-key"] == KEY
    assert "authorization" not in call.headers
    return call.form()


def test_openai_sdk_edits_several_images_and_a_mask(gateway, fake_provider):
    first, second, mask = image(), image("JPEG"), image()
    with openai_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=[("a.png", first, "image/png"), ("b.jpg", second, "image/jpeg")],
            mask=("mask.png", mask, "image/png"),
            prompt="a lighthouse",
            response_format="b64_json",
            size="1024x1536",
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64]
    form = received(fake_provider)
    # The defaulted model first, response_format left out (gpt-image refuses it).
    assert form.fields == [
        ("model", "gpt-image-1"),
        ("prompt", "a lighthouse"),
        ("size", "1024x1536"),
    ]
    assert [(f.name, f.filename, f.content_type, f.sha256) for f in form.files] == [
        ("image[]", "a.png", "image/png", sha(first)),
        ("image[]", "b.jpg", "image/jpeg", sha(second)),
        ("mask", "mask.png", "image/png", sha(mask)),
    ]


def test_the_target_api_version_is_kept(gateway, fake_provider):
    version = {"x-portkey-azure-api-version": "2025-06-01-preview"}
    with openai_client(gateway, fake_provider, **version) as client:
        client.images.edit(image=image(), prompt="x", model="gpt-image-1")
    received(fake_provider, "api-version=2025-06-01-preview")


def test_a_dall_e_deployment_refusal_reaches_the_sdk(gateway, fake_provider):
    with (
        openai_client(gateway, fake_provider, deployment="dalle3") as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.images.edit(image=image(), prompt="x", model="gpt-image-1")
    assert caught.value.status_code == 400
    assert "does not work with this model" in caught.value.body["message"]


def test_content_filter_is_a_400(gateway, fake_provider):
    with (
        openai_client(gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.images.edit(image=image(), prompt="something forbidden")
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "contentFilter"


def test_portkey_sdk_edits_and_variations_are_refused(gateway, fake_provider):
    picture = image("WEBP")
    with portkey_client(gateway, fake_provider) as client:
        edited = client.images.edit(
            image=("w.webp", picture, "image/webp"), prompt="a boat", model="gpt-image-1.5"
        )
        form = received(fake_provider)
        fake_provider.clear()
        with pytest.raises(portkey_openai.BadRequestError) as caught:
            client.images.create_variation(image=("v.png", image(), "image/png"))
    assert edited.data[0].b64_json == TINY_PNG_B64
    assert form.fields == [("prompt", "a boat"), ("model", "gpt-image-1.5")]
    assert [(f.name, f.content_type, f.sha256) for f in form.files] == [
        ("image", "image/webp", sha(picture))
    ]
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "operation_not_supported"
    assert fake_provider.requests_to("azure-openai") == []  # nothing was sent
