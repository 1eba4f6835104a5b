"""Bedrock edits and variations through real gunicorn, with both SDKs, against the fake
Bedrock Runtime (SigV4 recomputed with botocore, each editing task checked as Titan's
and Nova Canvas's user guides describe it): the answer, and the JSON the fake got."""

from __future__ import annotations

import base64
import io

import openai
import pytest
from PIL import Image
from portkey_ai._vendor import openai as portkey_openai

from tests.e2e.fakes.bedrock import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from tests.e2e.sdk_clients import openai_sdk, portkey_sdk

pytestmark = pytest.mark.e2e

NOVA = "amazon.nova-canvas-v1:0"
TITAN = "amazon.titan-image-generator-v2:0"
INVOKE = "/p/bedrock/model/{}/invoke"
AWS = {
    "x-portkey-aws-access-key-id": ACCESS_KEY_ID,
    "x-portkey-aws-secret-access-key": SECRET_ACCESS_KEY,
    "x-portkey-aws-region": "us-west-2",
}


@pytest.fixture(scope="module")
def bedrock_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch, fake_provider):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PORTKEY_API_KEY", "PORTKEY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    fake_provider.clear()


def png(size=(512, 384), hole=False, colour=(10, 120, 30)) -> bytes:
    """An RGB PNG, or (``hole``) an RGBA one whose top-left quarter is transparent."""
    image = Image.new("RGBA" if hole else "RGB", size, colour)
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def openai_client(gateway, fake):
    return openai_sdk(
        gateway,
        "unused-with-aws-keys",
        {"x-portkey-provider": "bedrock", "x-portkey-custom-host": fake.host("bedrock"), **AWS},
    )


def portkey_client(gateway, fake):
    return portkey_sdk(
        gateway,
        provider="bedrock",
        custom_host=fake.host("bedrock"),
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        aws_region="us-west-2",
    )


def sizes(result) -> list[tuple[int, int]]:
    return [Image.open(io.BytesIO(base64.b64decode(d.b64_json))).size for d in result.data]


def picture(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def test_openai_sdk_edit_with_a_mask_is_signed_nova_inpainting(bedrock_gateway, fake_provider):
    image, mask = png(), png(hole=True)
    with openai_client(bedrock_gateway, fake_provider) as client:
        result = client.images.edit(
            model=NOVA,
            image=("room.png", image, "image/png"),
            mask=("mask.png", mask, "image/png"),
            prompt="a red armchair",
            n=2,
            response_format="b64_json",
            extra_body={"negative_prompt": "people", "seed": "42"},
        )
    # In-painting keeps the input's size.
    assert sizes(result) == [(512, 384)] * 2
    [sent] = fake_provider.requests_to("bedrock")
    assert sent.path == INVOKE.format("amazon.nova-canvas-v1%3A0")
    assert sent.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/")
    body = sent.json()
    fields = body["inPaintingParams"]
    assert body["taskType"] == "INPAINTING"
    assert body["imageGenerationConfig"] == {"numberOfImages": 2, "quality": "standard", "seed": 42}
    assert (fields["text"], fields["negativeText"]) == ("a red armchair", "people")
    assert base64.b64decode(fields["image"]) == image  # an RGB PNG is sent unchanged
    sent_mask = picture(fields["maskImage"])
    assert sent_mask.size == (512, 384)
    assert sent_mask.convert("RGB").getpixel((10, 10)) == (0, 0, 0)  # black: change
    assert sent_mask.convert("RGB").getpixel((400, 300)) == (255, 255, 255)


def test_openai_sdk_edit_without_a_mask_is_a_prompt_guided_variation(
    bedrock_gateway, fake_provider
):
    first, second = png(), png(colour=(200, 30, 30))
    with openai_client(bedrock_gateway, fake_provider) as client:
        result = client.images.edit(
            model=TITAN,
            image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
            prompt="in the snow",
            size="768x768",
            response_format="b64_json",
            extra_body={"similarity_strength": "0.6"},
        )
    assert sizes(result) == [(768, 768)]
    [sent] = fake_provider.requests_to("bedrock")
    assert sent.path == INVOKE.format("amazon.titan-image-generator-v2%3A0")
    assert sent.json() == {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [base64.b64encode(first).decode(), base64.b64encode(second).decode()],
            "text": "in the snow",
            "similarityStrength": 0.6,
        },
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "width": 768,
            "height": 768,
            "quality": "standard",
        },
    }


# openai-python marks create_variation deprecated (dall-e-2 is retired); it still calls.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_openai_sdk_variation_of_seven_images_takes_two_calls(bedrock_gateway, fake_provider):
    with openai_client(bedrock_gateway, fake_provider) as client:
        result = client.images.create_variation(
            model=NOVA, image=("a.png", png(), "image/png"), n=7, response_format="b64_json"
        )
    assert sizes(result) == [(1024, 1024)] * 7  # Nova's default size
    bodies = [r.json() for r in fake_provider.requests_to("bedrock")]
    assert sorted(b["imageGenerationConfig"]["numberOfImages"] for b in bodies) == [2, 5]
    for body in bodies:
        assert body["taskType"] == "IMAGE_VARIATION"
        assert body["imageVariationParams"] == {"images": [base64.b64encode(png()).decode()]}


def test_portkey_sdk_edits_dall_e_2_style_and_varies_with_the_default_model(
    bedrock_gateway, fake_provider
):
    with portkey_client(bedrock_gateway, fake_provider) as client:
        edited = client.images.edit(
            image=("hole.png", png(hole=True), "image/png"),
            prompt="a window",
            response_format="b64_json",
        )
        varied = client.images.create_variation(
            image=("a.png", png(), "image/png"), size="512x512", response_format="b64_json"
        )
    assert sizes(edited) == [(512, 384)]
    assert sizes(varied) == [(512, 512)]
    painted, variation = (r.json() for r in fake_provider.requests_to("bedrock"))
    assert {r.path for r in fake_provider.requests_to("bedrock")} == {
        INVOKE.format("amazon.nova-canvas-v1%3A0")
    }
    # The image's own transparency is the mask; the image goes flattened (no alpha).
    assert painted["taskType"] == "INPAINTING"
    assert picture(painted["inPaintingParams"]["image"]).mode == "RGB"
    assert picture(painted["inPaintingParams"]["maskImage"]).convert("RGB").getpixel((10, 10)) == (
        0,
        0,
        0,
    )
    assert variation["taskType"] == "IMAGE_VARIATION"
    assert variation["imageGenerationConfig"]["width"] == 512


def test_portkey_sdk_mask_prompt_and_outpainting(bedrock_gateway, fake_provider):
    with portkey_client(bedrock_gateway, fake_provider) as client:
        client.images.edit(
            model=NOVA,
            image=("a.png", png(), "image/png"),
            prompt="a cat",
            response_format="b64_json",
            extra_body={"mask_prompt": "the dog"},
        )
        client.images.edit(
            model=NOVA,
            image=("a.png", png(), "image/png"),
            mask=("mask.png", png(hole=True), "image/png"),
            prompt="a beach",
            response_format="b64_json",
            extra_body={"outpainting_mode": "PRECISE"},
        )
    masked, outpainted = (r.json() for r in fake_provider.requests_to("bedrock"))
    assert masked["inPaintingParams"]["maskPrompt"] == "the dog"
    assert "maskImage" not in masked["inPaintingParams"]
    fields = outpainted["outPaintingParams"]
    assert (outpainted["taskType"], fields["outPaintingMode"]) == ("OUTPAINTING", "PRECISE")
    # Outpainting changes the white area: OpenAI's transparent quarter.
    assert picture(fields["maskImage"]).convert("RGB").getpixel((10, 10)) == (255, 255, 255)


def test_refusals_are_bad_requests_naming_the_field_in_both_sdks(bedrock_gateway, fake_provider):
    with (
        openai_client(bedrock_gateway, fake_provider) as client,
        pytest.raises(openai.BadRequestError) as raised,
    ):
        client.images.edit(
            model=NOVA,
            image=[("a.png", png(), "image/png"), ("b.png", png(), "image/png")],
            mask=("mask.png", png(hole=True), "image/png"),
            prompt="x",
        )
    assert raised.value.body["param"] == "image"
    assert "takes one image" in raised.value.body["message"]
    with (
        portkey_client(bedrock_gateway, fake_provider) as client,
        pytest.raises(portkey_openai.BadRequestError) as raised,
    ):
        client.images.create_variation(
            model="stability.sd3-5-large-v1:0", image=("a.png", png(), "image/png")
        )
    assert raised.value.body["param"] == "model"
    assert fake_provider.requests_to("bedrock") == []
