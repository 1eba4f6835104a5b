"""Workers AI image edits through gunicorn against its fake (tests/e2e/fakes/workers_ai.py
and _workers_ai_edits.py), called by both SDKs: SD 1.5 inpainting with the converted mask,
img2img without an area, the input image as sent; variations are refused before any call."""

from __future__ import annotations

import base64
import io

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

from .fakes import TINY_PNG_B64
from .fakes.workers_ai import TOKEN

pytestmark = pytest.mark.e2e

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
RUN = f"/p/workers-ai/client/v4/accounts/{ACCOUNT}/ai/run/"
INPAINTING = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def host(fake) -> str:
    # Like Cloudflare's AI Gateway URL, the custom host replaces the whole ".../ai/run".
    return f"{fake.host('workers-ai')}/client/v4/accounts/{ACCOUNT}/ai/run"


def picture(fmt: str = "PNG", size=(320, 256), hole: bool = False) -> bytes:
    image = Image.new("RGBA" if hole else "RGB", size, (200, 40, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def openai_client(gateway, fake):
    return openai_sdk(
        gateway, TOKEN, {"x-portkey-provider": "workers-ai", "x-portkey-custom-host": host(fake)}
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway, provider="workers-ai", Authorization=f"Bearer {TOKEN}", custom_host=host(fake)
    )


def received(fake, model: str) -> dict:
    [call] = fake.requests_to("workers-ai")
    assert (call.method, call.path) == ("POST", RUN + model)
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert call.headers["content-type"] == "application/json"
    return call.json()


def test_openai_sdk_edit_with_a_mask_runs_inpainting(gateway, fake_provider):
    image, mask = picture(), picture(hole=True)
    with openai_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=("photo.png", image, "image/png"),
            mask=("mask.png", mask, "image/png"),
            prompt="a red door",
            response_format="b64_json",
            extra_body={"steps": "10", "seed": "7"},
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64]
    body = received(fake_provider, INPAINTING)
    assert base64.b64decode(body["image_b64"]) == image  # as the SDK sent it
    assert (body["prompt"], body["num_steps"], body["seed"]) == ("a red door", 10, 7)
    with Image.open(io.BytesIO(bytes(body["mask"]))) as sent:
        assert sent.size == (320, 256)
        # OpenAI's transparent quarter is white (repaint), the rest black (keep).
        assert [sent.getpixel(xy) for xy in ((0, 0), (159, 127), (160, 0), (319, 255))] == [
            255,
            255,
            0,
            0,
        ]


def test_portkey_sdk_edit_without_an_area_runs_img2img_twice_for_n_2(gateway, fake_provider):
    image = picture("JPEG")
    with portkey_client(gateway, fake_provider) as client:
        result = client.images.edit(
            image=("p.jpg", image, "image/jpeg"),
            prompt="in winter",
            n=2,
            response_format="b64_json",
            size="512x512",
        )
    assert [d.b64_json for d in result.data] == [TINY_PNG_B64, TINY_PNG_B64]
    calls = fake_provider.requests_to("workers-ai")
    assert [c.path for c in calls] == [RUN + IMG2IMG] * 2
    for call in calls:
        body = call.json()
        assert base64.b64decode(body["image_b64"]) == image
        assert {k: v for k, v in body.items() if k != "image_b64"} == {
            "prompt": "in winter",
            "width": 512,
            "height": 512,
            "strength": 0.75,
        }


def test_a_url_answer_is_hosted_by_the_gateway(gateway, fake_provider, http):
    with openai_client(gateway, fake_provider) as client:
        result = client.images.edit(image=("p.png", picture(), "image/png"), prompt="x")
    received(fake_provider, IMG2IMG)
    assert result.data[0].url.startswith(gateway.base_url)
    assert http.get(result.data[0].url, timeout=10).content.startswith(b"\x89PNG")


def test_a_model_that_cannot_serve_the_edit_is_a_400_with_nothing_sent(gateway, fake_provider):
    with (
        portkey_client(gateway, fake_provider) as client,
        pytest.raises(portkey_openai.BadRequestError) as caught,
    ):
        client.images.edit(image=("p.png", picture(), "image/png"), prompt="x", model=INPAINTING)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == "mask"
    assert fake_provider.requests_to("workers-ai") == []


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
    assert fake_provider.requests_to("workers-ai") == []
