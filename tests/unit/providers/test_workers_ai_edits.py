"""Golden tests of Workers AI's edits (Stable Diffusion 1.5 inpainting and img2img): the
JSON input each OpenAI edit becomes, the converted mask pixel by pixel, the model chosen,
the refusals, the raw PNG answer and the price; the fake takes every input built."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import random

import pytest
from PIL import Image

from gateway.errors import InvalidRequest
from gateway.models import EDITS, VARIATIONS, ProviderReply, Target
from gateway.providers.capabilities import resolve_upload
from gateway.providers.workers_ai import PROVIDER, edits
from tests.e2e.fakes import TINY_PNG
from tests.e2e.fakes import workers_ai as fake
from tests.upload_images import encoded, rgb, upload, with_hole

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
TARGET = Target(
    provider="workers-ai",
    base_url=None,
    api_key=fake.TOKEN,
    options={"workers_ai_account_id": ACCOUNT},
)
RUN = f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/ai/run/"
INPAINTING = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img"


def request_for(params, images, mask=None):
    caps = PROVIDER.edits.capabilities
    return resolve_upload(caps, EDITS, params, tuple(images), mask)


def build(params, images, mask=None):
    request = request_for(params, images, mask)
    call = PROVIDER.edits.build_call(request, TARGET)
    return call, json.loads(call.body)


def refusal(params, images, mask=None) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        build(params, images, mask)
    return caught.value


def fake_reply(call):
    path = "/client/v4" + call.url.removeprefix("https://api.cloudflare.com/client/v4")
    headers = {k.lower(): v for k, v in call.headers.items()}
    return fake.handle(fake.FakeRequest("POST", path, "", headers, call.body, "x"))


def pixels(png: bytes) -> dict[tuple[int, int], int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L"
        return {
            (x, y): image.getpixel((x, y)) for x, y in ((0, 0), (199, 159), (200, 0), (399, 319))
        }


def test_a_mask_goes_to_inpainting_with_openais_alpha_turned_white_means_repaint():
    image, mask = upload(rgb()), upload(with_hole(), "mask")
    call, body = build({"prompt": "a red door", "negative_prompt": "blur"}, [image], mask)
    assert (call.method, call.url) == ("POST", RUN + INPAINTING)
    assert call.headers["Authorization"] == f"Bearer {fake.TOKEN}"
    assert call.headers["Content-Type"] == "application/json"
    assert list(body) == ["prompt", "negative_prompt", "image_b64", "mask"]
    assert body["prompt"] == "a red door"
    assert body["negative_prompt"] == "blur"
    assert base64.b64decode(body["image_b64"]) == image.read()  # the upload as sent
    converted = bytes(body["mask"])
    assert pixels(converted) == {(0, 0): 255, (199, 159): 255, (200, 0): 0, (399, 319): 0}
    assert fake_reply(call).status == 200


def test_a_transparent_image_without_mask_is_its_own_mask():
    call, body = build({"prompt": "p"}, [upload(with_hole())])
    assert call.url == RUN + INPAINTING
    assert pixels(bytes(body["mask"]))[(0, 0)] == 255
    assert fake_reply(call).status == 200


def test_no_area_is_img2img_with_strength_and_the_form_numbers_parsed():
    params = {"prompt": "in winter", "steps": "12", "guidance": "6.5", "seed": "42"}
    call, body = build(params, [upload(rgb(fmt="JPEG"))])
    assert call.url == RUN + IMG2IMG
    assert {k: v for k, v in body.items() if k != "image_b64"} == {
        "prompt": "in winter",
        "num_steps": 12,
        "guidance": 6.5,
        "seed": 42,
        "strength": 0.75,
    }
    assert fake_reply(call).status == 200


def test_openais_edit_quality_is_accepted_and_not_sent():
    _, body = build({"prompt": "p", "quality": "high"}, [upload(rgb())])
    assert "quality" not in body


def test_a_sent_strength_and_size_are_kept():
    call, body = build({"prompt": "p", "strength": "0.3", "size": "512x768"}, [upload(rgb())])
    assert (body["strength"], body["width"], body["height"]) == (0.3, 512, 768)
    assert fake_reply(call).status == 200


def test_a_webp_is_sent_as_png():
    call, body = build({"prompt": "p"}, [upload(rgb(fmt="WEBP"))])
    assert base64.b64decode(body["image_b64"]).startswith(b"\x89PNG")
    assert fake_reply(call).status == 200


def test_a_mask_without_alpha_is_the_models_own_kind():
    bw = Image.new("L", (400, 320), 0)
    bw.paste(255, (0, 0, 40, 40))
    mask = upload(encoded(bw), "mask")
    call, body = build({"prompt": "p"}, [upload(rgb())], mask)
    assert bytes(body["mask"]) == mask.read()
    assert fake_reply(call).status == 200


@pytest.mark.parametrize(
    ("params", "images", "mask", "param", "says"),
    [
        ({"prompt": "p"}, [rgb(), rgb()], None, "image", "one image per request; got 2"),
        ({"prompt": "p", "model": INPAINTING}, [rgb()], None, "mask", "needs an area"),
        ({"prompt": "p", "model": IMG2IMG}, [rgb()], with_hole(), "mask", "takes no mask"),
        ({"prompt": "p", "model": "@cf/x/y"}, [rgb()], None, "model", "no image edits"),
        ({"prompt": "p", "steps": "21"}, [rgb()], None, "steps", "from 1 to 20"),
        ({"prompt": "p", "strength": "2"}, [rgb()], None, "strength", "from 0 to 1"),
        ({"prompt": "p", "seed": "x"}, [rgb()], None, "seed", "an integer"),
        ({"prompt": "p", "guidance": "nan"}, [rgb()], None, "guidance", "a number"),
        ({"prompt": "p", "size": "128x128"}, [rgb()], None, "size", "256 to 2048"),
        ({"prompt": "p"}, [rgb()], with_hole(alpha=255), "mask", "marks nothing"),
        ({"prompt": ""}, [rgb()], None, "prompt", "required"),
    ],
)
def test_refusals_name_the_field(params, images, mask, param, says):
    caught = refusal(params, [upload(i) for i in images], mask and upload(mask, "mask"))
    assert caught.param == param
    assert says in caught.message


def test_an_image_over_ten_mib_is_refused():
    big = dataclasses.replace(upload(rgb()), size=10 * 1024 * 1024 + 1)
    caught = refusal({"prompt": "p"}, [big])
    assert caught.param == "image"
    assert "10 MiB" in caught.message


def test_a_mask_without_alpha_must_be_the_images_size():
    mask = upload(encoded(Image.new("L", (200, 160), 0)), "mask")
    caught = refusal({"prompt": "p"}, [upload(rgb())], mask)
    assert caught.param == "mask"


def test_the_raw_png_answer_is_read_as_for_sdxl():
    request = request_for({"prompt": "p"}, [upload(rgb())])
    reply = ProviderReply(200, {"content-type": "image/png"}, TINY_PNG)
    result = PROVIDER.edits.parse_reply(reply, request)
    assert [image.data for image in result.images] == [TINY_PNG]


def test_edits_are_free_in_beta_and_variations_do_not_exist():
    assert PROVIDER.edits.price(request_for({"prompt": "p"}, [upload(rgb())])) == 0
    assert PROVIDER.serving(VARIATIONS) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"mask": None}, "a mask is required by inpainting"),
        ({"image_b64": "not base64!"}, "base64 string"),
        ({"mask": [300]}, "integers 0-255"),
        ({"strength": 3}, "'/strength'"),
    ],
)
def test_the_fake_refuses_what_cloudflare_would(change, says):
    call, body = build({"prompt": "p"}, [upload(rgb())], upload(with_hole(), "mask"))
    body = {k: v for k, v in {**body, **change}.items() if v is not None}
    headers = {k.lower(): v for k, v in call.headers.items()}
    path = f"/client/v4/accounts/{ACCOUNT}/ai/run/{INPAINTING}"
    reply = fake.handle(fake.FakeRequest("POST", path, "", headers, json.dumps(body).encode(), "x"))
    assert reply.status == 400
    assert says in json.loads(reply.body)["errors"][0]["message"]


def test_a_mask_over_the_limit_is_refused_before_its_byte_array_is_built(monkeypatch):
    """The mask goes as a JSON array of byte values, held in memory: it has the
    image's limit (lowered here so the test stays small)."""

    monkeypatch.setattr(edits, "MAX_BYTES", 20_000)
    noise = Image.frombytes("L", (400, 320), random.Random(7).randbytes(400 * 320))
    mask = upload(encoded(noise), "mask")
    assert mask.size > 20_000
    assert len(rgb()) < 20_000
    caught = refusal({"prompt": "p"}, [upload(rgb())], mask)
    assert caught.param == "mask"
    assert f"is {mask.size} bytes" in caught.message
