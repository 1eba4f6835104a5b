"""Golden tests of Recraft's edits (inpaint, imageToImage) and variations (variateImage):
the multipart form each OpenAI upload becomes, the converted mask pixel by pixel, the
refusals, the answers and the prices; the fake Recraft takes every form built; no HTTP."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from PIL import Image

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, VARIATIONS, ProviderReply, Target
from gateway.providers.capabilities import resolve_upload
from gateway.providers.recraft_ai import PROVIDER
from tests.e2e import fake_multipart
from tests.e2e.fakes import TINY_PNG_B64
from tests.e2e.fakes import recraft_ai as fake
from tests.upload_images import encoded, rgb, upload, with_hole

KEY = "rc-test-0123"
TARGET = Target(provider="recraft-ai", base_url=None, api_key=KEY)
BASE = "https://external.api.recraft.ai/v1/images/"


def request_for(params, images, mask=None, operation=EDITS):
    op = PROVIDER.serving(operation)
    return resolve_upload(op.capabilities, operation, params, tuple(images), mask)


def build(params, images, mask=None, operation=EDITS):
    request = request_for(params, images, mask, operation)
    call = PROVIDER.serving(operation).build_call(request, TARGET)
    form = fake_multipart.parse(call.headers["Content-Type"], call.body.to_bytes())
    return call, form


def refusal(params, images, mask=None, operation=EDITS) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        build(params, images, mask, operation)
    return caught.value


def pixels(png: bytes) -> dict[tuple[int, int], int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L"
        return {
            (x, y): image.getpixel((x, y)) for x, y in ((0, 0), (199, 159), (200, 0), (399, 319))
        }


def fake_reply(call):
    path = "/v1" + call.url.removeprefix("https://external.api.recraft.ai/v1")
    headers = {k.lower(): v for k, v in call.headers.items()}
    return fake.handle(fake.FakeRequest("POST", path, "", headers, call.body.to_bytes(), "x"))


def test_a_mask_goes_to_inpaint_with_openais_alpha_turned_white_means_regenerate():
    image, mask = upload(rgb()), upload(with_hole(), "mask")
    call, form = build({"prompt": "a red door", "n": 2}, [image], mask)
    assert (call.method, call.url) == ("POST", BASE + "inpaint")
    assert call.headers["Authorization"] == f"Bearer {KEY}"
    assert call.headers["Accept"] == "application/json"
    assert form.fields == [("prompt", "a red door"), ("model", "recraftv3"), ("n", "2")]
    assert [(f.name, f.filename, f.content_type) for f in form.files] == [
        ("image", "image.png", "image/png"),
        ("mask", "mask.png", "image/png"),
    ]
    assert form.file("image").sha256 == image.sha256  # the upload as sent
    # The hole (alpha 0) is white (regenerate); the rest black (keep), at the image's size.
    assert pixels(form.file("mask").data) == {
        (0, 0): 255,
        (199, 159): 255,
        (200, 0): 0,
        (399, 319): 0,
    }
    assert fake_reply(call).status == 200


def test_a_transparent_image_without_mask_is_its_own_mask():
    image = upload(with_hole())
    call, form = build({"prompt": "p"}, [image])
    assert call.url == BASE + "inpaint"
    assert form.file("image").sha256 == image.sha256
    assert pixels(form.file("mask").data)[(0, 0)] == 255
    assert fake_reply(call).status == 200


def test_a_smaller_openai_mask_is_scaled_to_the_image():
    image = upload(rgb((800, 640)))
    mask = upload(with_hole((400, 320)), "mask")
    _, form = build({"prompt": "p"}, [image], mask)
    with Image.open(io.BytesIO(form.file("mask").data)) as converted:
        assert converted.size == (800, 640)
        assert converted.getpixel((399, 319)) == 255
        assert converted.getpixel((400, 320)) == 0


def test_a_mask_without_alpha_is_recrafts_own_and_sent_as_is():
    bw = Image.new("L", (400, 320), 0)
    bw.paste(255, (0, 0, 50, 50))
    mask = upload(encoded(bw), "mask")
    call, form = build({"prompt": "p"}, [upload(rgb())], mask)
    assert call.url == BASE + "inpaint"
    assert form.file("mask").sha256 == mask.sha256
    assert fake_reply(call).status == 200


def test_without_an_area_the_prompt_changes_the_whole_image_by_image_to_image():
    image = upload(rgb(fmt="WEBP"))
    call, form = build({"prompt": "in winter"}, [image])
    assert call.url == BASE + "imageToImage"
    assert form.fields == [("prompt", "in winter"), ("model", "recraftv3"), ("strength", "0.5")]
    assert [(f.name, f.filename, f.content_type) for f in form.files] == [
        ("image", "image.webp", "image/webp")
    ]
    assert fake_reply(call).status == 200


def test_recraft_fields_are_sent_in_order_and_openai_only_ones_are_not():
    params = {
        "prompt": "p",
        "model": "recraftv3",
        "strength": "0.25",
        "style": "digital_illustration",
        "substyle": "hand_drawn",
        "negative_prompt": "blur",
        "response_format": "b64_json",
        "seed": "42",
        "image_format": "png",
        "quality": "high",
        "user": "u1",
    }
    call, form = build(params, [upload(rgb())])
    assert form.fields == [
        ("prompt", "p"),
        ("model", "recraftv3"),
        ("style", "digital_illustration"),
        ("substyle", "hand_drawn"),
        ("negative_prompt", "blur"),
        ("response_format", "b64_json"),
        ("random_seed", "42"),
        ("image_format", "png"),
        ("strength", "0.25"),
    ]
    assert fake_reply(call).status == 200


def test_openais_style_values_are_not_sent():
    _, form = build({"prompt": "p", "style": "vivid"}, [upload(rgb())])
    assert not form.has("style")


@pytest.mark.parametrize(
    ("params", "images", "mask", "param", "says"),
    [
        ({"prompt": "p"}, [rgb(), rgb()], None, "image", "one image per request; got 2"),
        ({"prompt": "p"}, [rgb((200, 320))], None, "image", "256 to 4096 pixels"),
        ({"prompt": "p"}, [rgb((4100, 300))], None, "image", "256 to 4096 pixels"),
        ({"prompt": "p", "size": "1024x1024"}, [rgb()], None, "size", "auto"),
        ({"prompt": "p", "model": "recraftv2"}, [rgb()], None, "model", "no image edits"),
        ({"prompt": "p", "model": "recraftv4"}, [rgb()], None, "style", "not supported"),
        ({"prompt": "p", "strength": "1.5"}, [rgb()], None, "strength", "from 0 to 1"),
        ({"prompt": "p", "strength": "x"}, [rgb()], None, "strength", "from 0 to 1"),
        ({"prompt": "p", "strength": "0.3"}, [rgb()], with_hole(), "strength", "no mask"),
        ({"prompt": "p", "seed": "-1"}, [rgb()], None, "seed", "from 0 to 4294967295"),
        ({"prompt": "p", "image_format": "jpeg"}, [rgb()], None, "image_format", "webp, png"),
        ({"prompt": "p", "controls": "{}"}, [rgb()], None, "controls", "flat fields"),
        ({"prompt": "p"}, [rgb()], with_hole(alpha=255), "mask", "marks nothing"),
        ({"prompt": ""}, [rgb()], None, "prompt", "required"),
        ({"prompt": "p" * 1001}, [rgb()], None, "prompt", "at most 1000"),
    ],
)
def test_refusals_name_the_field(params, images, mask, param, says):
    if param == "style":
        params = {**params, "style": "icon"}
    caught = refusal(params, [upload(i) for i in images], mask and upload(mask, "mask"))
    assert caught.param == param
    assert says in caught.message


def test_a_mask_without_alpha_must_be_the_images_size():
    mask = upload(encoded(Image.new("L", (200, 160), 0)), "mask")
    caught = refusal({"prompt": "p"}, [upload(rgb())], mask)
    assert caught.param == "mask"
    assert "exactly the image's size (400x320)" in caught.message


def test_a_file_over_ten_megabytes_is_refused_before_the_call():
    image = upload(rgb())
    big = dataclasses.replace(image, size=10 * 1024 * 1024 + 1)
    caught = refusal({"prompt": "p"}, [big])
    assert caught.param == "image"
    assert "under 10 MB" in caught.message


def test_variations_go_to_variate_image_with_openais_size():
    image = upload(rgb((512, 512)))
    call, form = build({"n": 3, "response_format": "b64_json"}, [image], operation=VARIATIONS)
    assert call.url == BASE + "variateImage"
    # The model is Recraft's choice unless the caller names one.
    assert form.fields == [("size", "1024x1024"), ("n", "3"), ("response_format", "b64_json")]
    assert [f.name for f in form.files] == ["image"]
    assert form.file("image").sha256 == image.sha256
    assert fake_reply(call).status == 200


def test_a_named_variation_model_and_seed_are_sent():
    params = {"model": "recraftv4", "size": "1536x1024", "random_seed": "7"}
    call, form = build(params, [upload(rgb())], operation=VARIATIONS)
    assert form.fields == [("size", "1536x1024"), ("model", "recraftv4"), ("random_seed", "7")]
    assert fake_reply(call).status == 200


@pytest.mark.parametrize(
    ("params", "param"),
    [({"size": "256x256"}, "size"), ({"size": "auto"}, "size"), ({"style": "icon"}, "style")],
)
def test_variation_refusals(params, param):
    caught = refusal(params, [upload(rgb())], operation=VARIATIONS)
    assert caught.param == param


def test_answers_read_as_generations():
    body = {"created": 1, "credits": 40, "data": [{"image_id": "x", "b64_json": TINY_PNG_B64}]}
    reply = ProviderReply(200, {"content-type": "application/json"}, json.dumps(body).encode())
    request = request_for({"prompt": "p"}, [upload(rgb())])
    result = PROVIDER.edits.parse_reply(reply, request)
    assert [image.b64_json for image in result.images] == [TINY_PNG_B64]
    error = {"code": "invalid_parameter", "message": "mask must be exactly the size of the image"}
    bad = ProviderReply(400, {"content-type": "application/json"}, json.dumps(error).encode())
    with pytest.raises(ProviderError) as caught:
        PROVIDER.edits.parse_reply(bad, request)
    assert "mask must be exactly the size" in str(caught.value)


@pytest.mark.parametrize(
    ("params", "micro_usd"),
    [
        ({"prompt": "p"}, 40_000),
        ({"prompt": "p", "model": "recraftv3_vector"}, 80_000),
        ({"prompt": "p", "model": "recraftv4_1"}, 35_000),
    ],
)
def test_edits_cost_a_generated_image(params, micro_usd):
    assert PROVIDER.edits.price(request_for(params, [upload(rgb())])) == micro_usd


@pytest.mark.parametrize(("n", "micro_usd"), [(1, 40_000), (2, 20_000), (3, 13_334), (8, 10_000)])
def test_a_remix_costs_four_cents_a_call_spread_over_its_images(n, micro_usd):
    request = request_for({"n": n}, [upload(rgb())], operation=VARIATIONS)
    assert PROVIDER.variations.price(request) == micro_usd


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ([("prompt", "p"), ("strength", "2")], "strength"),
        ([("prompt", "p"), ("strength", "0.5"), ("controls", "{}")], "unknown parameter"),
        ([("strength", "0.5")], "prompt is required"),
    ],
)
def test_the_fake_refuses_what_recraft_would(fields, says):
    from gateway.providers.multipart import encode_files

    image = upload(rgb())
    body, content_type = encode_files(fields, [("image", image, "image.png", "image/png")])
    headers = {"content-type": content_type, "authorization": "Bearer k"}
    request = fake.FakeRequest("POST", "/v1/images/imageToImage", "", headers, body.to_bytes(), "x")
    reply = fake.handle(request)
    assert reply.status == 400
    assert says in json.loads(reply.body)["message"]


def test_the_fake_refuses_a_grey_mask():
    from gateway.providers.multipart import encode_files

    grey = encoded(Image.new("L", (400, 320), 128))
    files = [("image", upload(rgb()), "i.png", "image/png"), ("mask", grey, "m.png", "image/png")]
    body, content_type = encode_files([("prompt", "p")], files)
    headers = {"content-type": content_type, "authorization": "Bearer k"}
    reply = fake.handle(
        fake.FakeRequest("POST", "/v1/images/inpaint", "", headers, body.to_bytes(), "x")
    )
    assert reply.status == 400
    assert b"pure black" in reply.body
