"""Golden tests of Bedrock's edits and variations (Titan and Nova Canvas editing tasks):
the JSON each OpenAI form becomes, the mask conversion pixel by pixel, the refusals,
the answers and the prices; no HTTP."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, VARIATIONS, AwsSigning, ProviderReply, Target, Upload
from gateway.providers.bedrock import PROVIDER
from gateway.providers.capabilities import resolve_upload
from tests.e2e.fakes import TINY_PNG_B64
from tests.e2e.fakes import _bedrock_edits as fake_edits
from tests.e2e.fakes import bedrock as fake_bedrock
from tests.upload_images import encoded, rgb, upload, with_hole

KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG"}
TARGET = Target(provider="bedrock", base_url=None, api_key="", options=KEYS)
NOVA = "amazon.nova-canvas-v1:0"
TITAN = "amazon.titan-image-generator-v2:0"
URL = "https://bedrock-runtime.us-east-1.amazonaws.com/model/{}/invoke"


def operation(route: str):
    return PROVIDER.edits if route == EDITS else PROVIDER.variations


def request_for(route, params, images, mask=None):
    served = operation(route)
    return resolve_upload(served.capabilities, route, params, tuple(images), mask)


def call_for(route, params, images, mask=None):
    request = request_for(route, params, images, mask)
    return operation(route).build_call(request, TARGET)


def body_of(route, params, images, mask=None) -> dict:
    return json.loads(call_for(route, params, images, mask).body)


def decoded(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def test_edit_with_a_mask_is_nova_inpainting_signed_like_generations():
    image, mask = rgb(), with_hole()
    params = {"model": NOVA, "prompt": "a red boat", "n": 2, "seed": "7", "cfg_scale": "6.5"}
    call = call_for(EDITS, params, [upload(image)], upload(mask, "mask"))
    assert (call.method, call.url) == ("POST", URL.format("amazon.nova-canvas-v1%3A0"))
    assert call.headers == {"Content-Type": "application/json", "Accept": "application/json"}
    assert call.signing == AwsSigning("bedrock", "us-east-1", *KEYS.values())
    body = json.loads(call.body)
    mask_b64 = body["inPaintingParams"].pop("maskImage")
    assert body == {
        "taskType": "INPAINTING",
        "inPaintingParams": {
            "image": base64.b64encode(image).decode(),  # an RGB PNG goes unchanged
            "text": "a red boat",
        },
        "imageGenerationConfig": {
            "numberOfImages": 2,
            "quality": "standard",
            "cfgScale": 6.5,
            "seed": 7,
        },
    }
    sent = decoded(mask_b64)
    assert (sent.format, sent.mode, sent.size) == ("PNG", "RGB", (400, 320))
    # Amazon's colours: black (0, 0, 0) is the area to change, white the rest.
    assert sent.getpixel((0, 0)) == (0, 0, 0)
    assert sent.getpixel((199, 159)) == (0, 0, 0)
    assert sent.getpixel((200, 0)) == (255, 255, 255)
    assert sent.getpixel((399, 319)) == (255, 255, 255)
    assert sorted(c for _, c in sent.getcolors()) == [(0, 0, 0), (255, 255, 255)]


def test_a_mask_of_another_size_is_scaled_to_the_image():
    mask = with_hole((200, 160), (0, 0, 100, 80))
    body = body_of(EDITS, {"model": NOVA, "prompt": "x"}, [upload(rgb())], upload(mask, "mask"))
    sent = decoded(body["inPaintingParams"]["maskImage"])
    assert sent.size == (400, 320)
    assert (sent.getpixel((199, 159)), sent.getpixel((200, 160))) == ((0, 0, 0), (255,) * 3)


def test_dall_e_2_style_image_with_transparency_is_its_own_mask_and_is_flattened():
    image = with_hole()
    body = body_of(EDITS, {"model": TITAN, "prompt": "a hat", "quality": "hd"}, [upload(image)])
    assert body["taskType"] == "INPAINTING"
    assert body["imageGenerationConfig"] == {"numberOfImages": 1, "quality": "premium"}
    sent = decoded(body["inPaintingParams"]["image"])
    # Nova and Titan take no transparent pixels: laid on white, RGB.
    assert (sent.mode, sent.getpixel((0, 0)), sent.getpixel((300, 300))) == (
        "RGB",
        (255, 255, 255),
        (10, 120, 30),
    )
    mask = decoded(body["inPaintingParams"]["maskImage"])
    assert (mask.getpixel((10, 10)), mask.getpixel((300, 300))) == ((0, 0, 0), (255,) * 3)


def test_mask_prompt_replaces_the_mask_image():
    params = {"model": NOVA, "prompt": "a cat", "mask_prompt": "the dog", "negative_prompt": "x"}
    body = body_of(EDITS, params, [upload(rgb(fmt="JPEG"))])
    assert body["inPaintingParams"] == {
        "image": base64.b64encode(rgb(fmt="JPEG")).decode(),
        "text": "a cat",
        "negativeText": "x",
        "maskPrompt": "the dog",
    }


def test_outpainting_mode_asks_for_outpainting_with_white_as_the_area_to_change():
    params = {"model": NOVA, "prompt": "a beach", "outpainting_mode": "PRECISE"}
    body = body_of(EDITS, params, [upload(rgb())], upload(with_hole(), "mask"))
    fields = body["outPaintingParams"]
    assert (body["taskType"], fields["outPaintingMode"], fields["text"]) == (
        "OUTPAINTING",
        "PRECISE",
        "a beach",
    )
    mask = decoded(fields["maskImage"])
    assert (mask.getpixel((10, 10)), mask.getpixel((300, 300))) == ((255,) * 3, (0, 0, 0))


def test_edit_without_a_mask_is_a_prompt_guided_variation_of_up_to_five_images():
    images = [upload(rgb(), f"image[{i}]") for i in range(3)]
    params = {"model": NOVA, "prompt": "in winter", "similarity_strength": "0.5", "size": "auto"}
    body = body_of(EDITS, params, images)
    assert body == {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [base64.b64encode(rgb()).decode()] * 3,
            "text": "in winter",
            "similarityStrength": 0.5,
        },
        "imageGenerationConfig": {"numberOfImages": 1, "quality": "standard"},
    }


def test_an_opaque_rgba_image_without_a_mask_is_a_variation_not_an_inpainting():
    opaque = encoded(Image.new("RGBA", (400, 320), (1, 2, 3, 255)))
    body = body_of(EDITS, {"model": NOVA, "prompt": "x"}, [upload(opaque)])
    assert body["taskType"] == "IMAGE_VARIATION"
    assert decoded(body["imageVariationParams"]["images"][0]).mode == "RGB"


def test_variation_sends_no_text_and_the_asked_size():
    params = {"model": NOVA, "n": 3, "size": "1024x1024"}
    body = body_of(VARIATIONS, params, [upload(rgb(fmt="JPEG"))])
    assert body == {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {"images": [base64.b64encode(rgb(fmt="JPEG")).decode()]},
        "imageGenerationConfig": {
            "numberOfImages": 3,
            "width": 1024,
            "height": 1024,
            "quality": "standard",
        },
    }


def test_webp_is_sent_as_png():
    webp = encoded(Image.new("RGB", (400, 320), (200, 10, 10)), "WEBP")
    body = body_of(VARIATIONS, {"model": TITAN}, [upload(webp)])
    sent = decoded(body["imageVariationParams"]["images"][0])
    assert (sent.format, sent.mode, sent.size) == ("PNG", "RGB", (400, 320))


def test_the_default_model_is_nova_canvas_and_ten_images_take_two_calls():
    assert PROVIDER.edits.capabilities.default_model == NOVA
    assert PROVIDER.variations.capabilities.default_model == NOVA
    request = request_for(VARIATIONS, {"n": 10}, [upload(rgb())])
    assert (request.model, request.size) == (NOVA, "auto")
    assert PROVIDER.variations.capabilities.per_call(request.model) == 5


@pytest.mark.parametrize(
    ("route", "params", "images", "mask", "param", "words"),
    [
        (EDITS, {"mask_prompt": "dog"}, [rgb()], with_hole(), "mask_prompt", "not both"),
        (EDITS, {}, [rgb()], rgb(), "mask", "fully transparent pixels"),
        (EDITS, {"outpainting_mode": "DEFAULT"}, [rgb()], None, "outpainting_mode", "No area"),
        (EDITS, {}, [rgb(), rgb()], with_hole(), "image", "takes one image; got 2"),
        (EDITS, {"size": "512x512"}, [rgb()], with_hole(), "size", "400x320"),
        (EDITS, {"seed": "seven"}, [rgb()], with_hole(), "seed", "an integer"),
        (VARIATIONS, {"similarity_strength": "0.1"}, [rgb()], None, "similarity_strength", "0.2"),
        (VARIATIONS, {}, [rgb()] * 6, None, "image", "1 to 5 images; got 6"),
        (VARIATIONS, {}, [rgb((300, 320))], None, "image", "sides of 320 to 4096"),
        (VARIATIONS, {}, [rgb((1600, 330))], None, "image", "4 times"),
        (VARIATIONS, {}, [rgb((4096, 2048))], None, "image", "4,194,304 pixels"),
    ],
)
def test_nova_refusals_name_the_field(route, params, images, mask, param, words):
    uploads = [upload(data, "image") for data in images]
    with pytest.raises(InvalidRequest) as raised:
        call_for(
            route,
            {"model": NOVA, "prompt": "x", **params},
            uploads,
            upload(mask, "mask") if mask is not None else None,
        )
    assert raised.value.param == param
    assert words in raised.value.message


def test_titan_refuses_a_painting_image_over_1408_pixels_and_over_5_mb():
    big = upload(rgb((1500, 600)))
    with pytest.raises(InvalidRequest, match="sides of at most 1408") as raised:
        call_for(EDITS, {"model": TITAN, "prompt": "x"}, [big], upload(with_hole(), "mask"))
    assert raised.value.param == "image"
    heavy = Upload("image[1]", "png", 1024, 1024, False, 6 * 1024 * 1024, "0" * 64, data=b"")
    with pytest.raises(InvalidRequest, match="takes 5 MB") as raised:
        call_for(VARIATIONS, {"model": TITAN}, [upload(rgb()), heavy])
    assert raised.value.param == "image[1]"


def test_stability_models_have_no_edits_here():
    with pytest.raises(InvalidRequest, match=r"amazon\.nova-canvas-v1:0") as raised:
        call_for(EDITS, {"model": "stability.sd3-5-large-v1:0", "prompt": "x"}, [upload(rgb())])
    assert raised.value.param == "model"


def test_unknown_ids_get_no_model_limits_and_one_image_per_call():
    arn = "arn:aws:bedrock:us-east-1:123456789012:custom-model/nova/abc"
    body = body_of(VARIATIONS, {"model": arn}, [upload(rgb((100, 100)))])
    assert body["taskType"] == "IMAGE_VARIATION"
    assert PROVIDER.variations.capabilities.per_call(arn) == 1


def test_answers_are_parsed_as_generations():
    request = request_for(EDITS, {"model": NOVA, "prompt": "x"}, [upload(rgb())])
    ok = ProviderReply(200, {"content-type": "application/json"}, b"")
    ok = ProviderReply(200, ok.headers, json.dumps({"images": [TINY_PNG_B64] * 2}).encode())
    result = PROVIDER.edits.parse_reply(ok, request)
    assert [i.b64_json for i in result.images] == [TINY_PNG_B64] * 2
    flagged = {"images": [], "error": "Some of the generated images have been blocked"}
    reply = ProviderReply(200, ok.headers, json.dumps(flagged).encode())
    with pytest.raises(ProviderError) as raised:
        PROVIDER.edits.parse_reply(reply, request)
    assert raised.value.code == "content_policy_violation"


@pytest.mark.parametrize(
    ("route", "params", "images", "mask", "micro_usd"),
    [
        # In- and outpainting keep the input's size: 400x320 is the small tier.
        (EDITS, {"quality": "hd"}, [rgb()], with_hole(), 60_000),
        # A variation at auto: Nova's default 1024x1024.
        (VARIATIONS, {}, [rgb()], None, 40_000),
        (VARIATIONS, {"size": "2048x1024"}, [rgb()], None, 60_000),
        (EDITS, {"model": TITAN}, [rgb()], with_hole(), None),
    ],
)
def test_edit_prices_per_image_as_generations(route, params, images, mask, micro_usd):
    request = request_for(
        route,
        {"model": NOVA, "prompt": "x", **params},
        [upload(data) for data in images],
        upload(mask, "mask") if mask is not None else None,
    )
    assert operation(route).price(request) == micro_usd


def test_a_prompt_sent_with_a_variation_guides_it():
    body = body_of(VARIATIONS, {"model": TITAN, "prompt": "at night"}, [upload(rgb())])
    assert body["imageVariationParams"]["text"] == "at night"


@pytest.mark.parametrize(
    ("route", "params", "images", "mask"),
    [
        (EDITS, {}, [rgb()], with_hole()),
        (EDITS, {}, [with_hole()], None),
        (EDITS, {"mask_prompt": "dog", "outpainting_mode": "DEFAULT"}, [rgb()], None),
        (EDITS, {"outpainting_mode": "PRECISE"}, [rgb(fmt="JPEG")], with_hole()),
        (EDITS, {"similarity_strength": "1"}, [rgb(), with_hole()], None),
        (VARIATIONS, {"n": 5, "size": "512x768", "quality": "hd"}, [rgb()], None),
    ],
)
def test_the_fake_bedrock_takes_every_body_built(route, params, images, mask):
    """The e2e fake checks the editing tasks as Amazon's guides describe them."""
    body = body_of(
        route,
        {"model": NOVA, "prompt": "x", **params},
        [upload(data) for data in images],
        upload(mask, "mask") if mask is not None else None,
    )
    reply = fake_edits.handle(body, fake_bedrock.error)
    assert reply.status == 200, reply.body
