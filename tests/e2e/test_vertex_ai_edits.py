"""Vertex AI image edits through real gunicorn, with both SDKs, against the fake Vertex
AI (tests/e2e/fakes/_vertex_edits.py checks the editing body as Google's Imagen edit
reference describes it): the answer, and the JSON the fake received; no variations."""

from __future__ import annotations

import base64
import io
import json

import openai
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.fakes.vertex_ai import ACCESS_TOKEN
from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

pytestmark = pytest.mark.e2e

MODEL = "imagen-3.0-capability-001"
PREDICT = (
    "/p/vertex-ai/v1/projects/{project}/locations/us-central1/publishers/google/models/"
    f"{MODEL}:predict"
)
VERTEX = {"x-portkey-vertex-project-id": "e2e-project", "x-portkey-vertex-region": "us-central1"}


@pytest.fixture(scope="module")
def vertex_gateway(start_gateway, fake_provider):
    # One worker: the service account's token cache is per process.
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url, GATEWAY_WORKERS="1")


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch, fake_provider):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    fake_provider.clear()


def png(size=(512, 384), hole=False, fmt="PNG") -> bytes:
    """An RGB image, or (``hole``) an RGBA PNG whose top-left quarter is transparent."""
    image = Image.new("RGBA" if hole else "RGB", size, (10, 120, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def openai_client(gateway, fake, **headers):
    return openai_sdk(
        gateway,
        ACCESS_TOKEN,
        {
            "x-portkey-provider": "vertex-ai",
            "x-portkey-custom-host": fake.host("vertex-ai"),
            **VERTEX,
            **headers,
        },
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway,
        provider="vertex-ai",
        Authorization=f"Bearer {ACCESS_TOKEN}",
        custom_host=fake.host("vertex-ai"),
        vertex_project_id="e2e-project",
        vertex_region="us-central1",
    )


def picture(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def predicts(fake, project="e2e-project"):
    sent = [r for r in fake.requests_to("vertex-ai") if r.path.endswith(":predict")]
    assert {r.path for r in sent} == {PREDICT.format(project=project)}
    return sent


def test_openai_sdk_edit_with_a_mask_is_inpaint_insertion(vertex_gateway, fake_provider):
    image, mask = png(), png(hole=True)
    with openai_client(vertex_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("room.png", image, "image/png"),
            mask=("mask.png", mask, "image/png"),
            prompt="a red armchair",
            n=2,
            response_format="b64_json",
            extra_body={"negative_prompt": "people", "base_steps": "35"},
        )
    # The edit keeps the input's size.
    assert [picture(d.b64_json).size for d in result.data] == [(512, 384)] * 2
    [sent] = predicts(fake_provider)
    assert sent.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    body = sent.json()
    [raw, masked] = body["instances"][0]["referenceImages"]
    assert body["instances"][0]["prompt"] == "a red armchair"
    assert raw == {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": base64.b64encode(image).decode()},
    }
    assert masked["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED"}
    sent_mask = picture(masked["referenceImage"]["bytesBase64Encoded"])
    assert sent_mask.size == (512, 384)
    assert sent_mask.getpixel((10, 10)) == 255  # white: edit here
    assert sent_mask.getpixel((400, 300)) == 0
    assert body["parameters"] == {
        "sampleCount": 2,
        "negativePrompt": "people",
        "includeRaiReason": True,
        "editMode": "EDIT_MODE_INPAINT_INSERTION",
        "editConfig": {"baseSteps": 35},
    }


def test_openai_sdk_edit_without_a_mask_is_mask_free_and_n6_two_calls(
    vertex_gateway, fake_provider
):
    image = png(fmt="JPEG")
    with openai_client(vertex_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("photo.jpg", image, "image/jpeg"),
            prompt="a dog at the beach",
            n=6,
            response_format="b64_json",
        )
    assert len(result.data) == 6
    sent = predicts(fake_provider)
    assert sorted(r.json()["parameters"]["sampleCount"] for r in sent) == [2, 4]
    for call in sent:
        body = call.json()
        assert body["instances"] == [
            {
                "prompt": "a dog at the beach",
                "referenceImages": [
                    {
                        "referenceType": "REFERENCE_TYPE_RAW",
                        "referenceId": 1,
                        "referenceImage": {"bytesBase64Encoded": base64.b64encode(image).decode()},
                    }
                ],
            }
        ]
        assert "editMode" not in body["parameters"]


def test_openai_sdk_background_swap_lets_imagen_mask(vertex_gateway, fake_provider):
    with openai_client(vertex_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("product.webp", png(fmt="WEBP"), "image/webp"),
            prompt="on a marble table",
            response_format="b64_json",
            extra_body={"mask_mode": "background", "mask_dilation": "0.02"},
        )
    assert picture(result.data[0].b64_json).size == (512, 384)
    [sent] = predicts(fake_provider)
    body = sent.json()
    [raw, masked] = body["instances"][0]["referenceImages"]
    assert picture(raw["referenceImage"]["bytesBase64Encoded"]).format == "PNG"  # from WEBP
    assert masked == {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "maskImageConfig": {"maskMode": "MASK_MODE_BACKGROUND", "dilation": 0.02},
    }
    assert body["parameters"]["editMode"] == "EDIT_MODE_BGSWAP"


def test_a_bad_option_is_a_400_before_any_call(vertex_gateway, fake_provider):
    with (
        openai_client(vertex_gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.images.edit(
            image=("a.png", png(), "image/png"),
            prompt="x",
            extra_body={"edit_mode": "inpaint_removal"},
        )
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "edit_mode"
    assert "needs a mask" in caught.value.body["message"]
    assert fake_provider.requests_to("vertex-ai") == []


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_openai_sdk_variation_is_refused(vertex_gateway, fake_provider):
    with (
        openai_client(vertex_gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.images.create_variation(image=("v.png", png(), "image/png"))
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "operation_not_supported"
    assert fake_provider.requests_to("vertex-ai") == []


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_portkey_sdk_edit_with_transparency_and_variation_refused(vertex_gateway, fake_provider):
    image = png(hole=True)
    with portkey_client(vertex_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("hole.png", image, "image/png"),
            prompt="a window",
            model=MODEL,
            response_format="b64_json",
        )
        [sent] = predicts(fake_provider)
        fake_provider.clear()
        with pytest.raises(portkey_openai.BadRequestError) as caught:
            client.images.create_variation(image=("v.png", png(), "image/png"))
    assert picture(result.data[0].b64_json).size == (512, 384)
    # No mask file: the image's own transparency is the mask (dall-e-2's rule).
    [raw, masked] = sent.json()["instances"][0]["referenceImages"]
    assert raw["referenceImage"]["bytesBase64Encoded"] == base64.b64encode(image).decode()
    assert picture(masked["referenceImage"]["bytesBase64Encoded"]).getpixel((5, 5)) == 255
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "operation_not_supported"
    assert fake_provider.requests_to("vertex-ai") == []


def test_portkey_sdk_edit_with_a_mask_answers_a_hosted_url(vertex_gateway, fake_provider):
    with portkey_client(vertex_gateway, fake_provider) as client:
        result = client.images.edit(
            image=("room.png", png(), "image/png"),
            mask=("mask.png", png(hole=True), "image/png"),
            prompt="a lamp",
        )
    [item] = result.data
    hosted = requests.get(item.url, timeout=30)
    assert hosted.status_code == 200
    assert Image.open(io.BytesIO(hosted.content)).size == (512, 384)
    [sent] = predicts(fake_provider)
    assert sent.json()["parameters"]["editMode"] == "EDIT_MODE_INPAINT_INSERTION"


def test_service_account_signs_the_edit(vertex_gateway, fake_provider):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    requests.post(
        fake_provider.host("vertex-ai") + "/keys",
        json={"kid": "e2e-edit-kid", "public_key_pem": public_pem.decode()},
        timeout=10,
    ).raise_for_status()
    account = {
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "e2e-edit-kid",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "client_email": "gateway@sa-project.iam.gserviceaccount.com",
        "token_uri": fake_provider.host("vertex-ai") + "/token",
    }
    fake_provider.clear()
    client = openai.OpenAI(
        api_key="unused-with-a-service-account",
        base_url=vertex_gateway.base_url + "/v1",
        max_retries=0,
        default_headers={
            "x-portkey-provider": "vertex-ai",
            "x-portkey-custom-host": fake_provider.host("vertex-ai"),
            "x-portkey-vertex-region": "us-central1",
            "x-portkey-vertex-service-account-json": json.dumps(account),
        },
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )
    with client:
        result = client.images.edit(
            image=("a.png", png(), "image/png"), prompt="snow", response_format="b64_json"
        )
    assert len(result.data) == 1
    [sent] = predicts(fake_provider, project="sa-project")
    assert sent.headers["authorization"].startswith("Bearer ya29.e2e-minted-")
