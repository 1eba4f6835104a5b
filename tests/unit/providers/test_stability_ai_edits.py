"""Golden tests of Stability AI's edits (v2beta Edit services and sd3 image-to-image):
the multipart form each OpenAI edit becomes, the converted mask pixel by pixel, the
service chosen, the refusals, the answers and the prices; no HTTP."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, ProviderReply, Target
from gateway.providers.capabilities import resolve_upload
from gateway.providers.multipart import encode_files
from gateway.providers.stability_ai import PROVIDER
from tests.e2e import fake_multipart
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64
from tests.e2e.fakes import stability_ai as fake
from tests.upload_images import encoded, rgb, upload, with_hole

TARGET = Target(provider="stability-ai", base_url=None, api_key="sk-test-0123")
EDIT = "https://api.stability.ai/v2beta/stable-image/edit/{}"
SD3 = "https://api.stability.ai/v2beta/stable-image/generate/sd3"


def request_for(params, images, mask=None):
    caps = PROVIDER.edits.capabilities
    return resolve_upload(caps, EDITS, params, tuple(images), mask)


def build(params, images, mask=None):
    request = request_for(params, images, mask)
    call = PROVIDER.edits.build_call(request, TARGET)
    form = fake_multipart.parse(call.headers["Content-Type"], call.body.to_bytes())
    return request, call, form


def pixels(png: bytes) -> dict[tuple[int, int], int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L"
        return {
            (x, y): image.getpixel((x, y)) for x, y in ((0, 0), (199, 159), (200, 0), (399, 319))
        }


def test_mask_goes_to_inpaint_with_openais_alpha_turned_white_means_edit():
    image = upload(rgb())
    mask = upload(with_hole(), "mask")
    params = {"prompt": "a red hat", "negative_prompt": "blur", "seed": "42", "grow_mask": "7"}
    _, call, form = build(params, [image], mask)

    assert (call.method, call.url) == ("POST", EDIT.format("inpaint"))
    assert call.headers["Authorization"] == "Bearer sk-test-0123"
    assert call.headers["Accept"] == "application/json"
    assert form.fields == [
        ("prompt", "a red hat"),
        ("negative_prompt", "blur"),
        ("grow_mask", "7.0"),
        ("seed", "42"),
    ]
    assert form.order == ["prompt", "negative_prompt", "grow_mask", "seed", "image", "mask"]
    sent_image, sent_mask = form.files
    assert (sent_image.name, sent_image.filename, sent_image.content_type) == (
        "image",
        "image.png",
        "image/png",
    )
    assert sent_image.sha256 == image.sha256  # the image streamed unchanged
    assert (sent_mask.filename, sent_mask.content_type) == ("mask.png", "image/png")
    # Transparent (alpha 0) in OpenAI's mask -> white; opaque -> black.
    assert pixels(sent_mask.data) == {(0, 0): 255, (199, 159): 255, (200, 0): 0, (399, 319): 0}
    assert len(call.body) == len(call.body.to_bytes())


def test_a_mask_marking_nothing_is_refused_naming_the_mask():
    """Half-transparent pixels are kept, as OpenAI keeps them: only alpha 0 is edited."""
    with pytest.raises(InvalidRequest, match="no fully transparent pixel") as info:
        build({"prompt": "p"}, [upload(rgb())], upload(with_hole(alpha=128), "mask"))
    assert info.value.param == "mask"


def test_dalle2_style_transparent_image_without_mask_is_inpainted_from_its_alpha():
    image = upload(with_hole())
    _, call, form = build({"prompt": "a red hat"}, [image])
    assert call.url == EDIT.format("inpaint")
    assert form.file("image").sha256 == image.sha256
    assert pixels(form.file("mask").data)[(0, 0)] == 255
    assert pixels(form.file("mask").data)[(399, 319)] == 0


def test_a_black_and_white_mask_without_alpha_is_stabilitys_own_kind_sent_as_is():
    bw = Image.new("L", (400, 320), 0)
    bw.paste(255, (0, 0, 10, 10))
    mask = upload(encoded(bw), "mask")
    _, _, form = build({"prompt": "p", "model": "erase"}, [upload(rgb())], mask)
    assert form.file("mask").sha256 == mask.sha256


def test_no_mask_and_no_model_is_sd3_image_to_image_with_the_default_strength():
    request, call, form = build({"prompt": "make it autumn"}, [upload(rgb(fmt="JPEG"))])
    assert request.model == "inpaint"
    assert request.model_was_defaulted
    assert call.url == SD3
    assert form.fields == [
        ("prompt", "make it autumn"),
        ("mode", "image-to-image"),
        ("strength", "0.7"),
    ]
    assert form.file("image").content_type == "image/jpeg"
    assert form.file("mask") is None


def test_an_opaque_rgba_image_without_mask_is_image_to_image_too():
    opaque = upload(with_hole(box=(0, 0, 0, 0)))
    assert opaque.has_alpha
    _, call, _ = build({"prompt": "p"}, [opaque])
    assert call.url == SD3


def test_a_named_sd3_model_is_the_model_field_with_the_callers_strength():
    params = {"prompt": "p", "model": "sd3.5-large-turbo", "strength": "0.35", "cfg_scale": "2"}
    _, call, form = build(params, [upload(rgb())])
    assert call.url == SD3
    assert form.fields == [
        ("prompt", "p"),
        ("mode", "image-to-image"),
        ("model", "sd3.5-large-turbo"),
        ("strength", "0.35"),
        ("cfg_scale", "2.0"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"model": "erase", "prompt": "ignored", "grow_mask": "3", "output_format": "webp"},
            [("grow_mask", "3.0"), ("output_format", "webp")],
        ),
        (
            {"model": "outpaint", "prompt": "more sky", "up": "200", "creativity": "0.4"},
            [("prompt", "more sky"), ("up", "200"), ("creativity", "0.4")],
        ),
        (
            {"model": "search-and-replace", "prompt": "a cat", "search_prompt": "dog"},
            [("prompt", "a cat"), ("search_prompt", "dog")],
        ),
        (
            {"model": "search-and-recolor", "prompt": "red", "select_prompt": "car"},
            [("prompt", "red"), ("select_prompt", "car")],
        ),
        ({"model": "remove-background", "prompt": "x"}, []),
    ],
)
def test_other_edit_services_by_model_get_their_documented_fields(params, expected):
    mask = upload(with_hole(), "mask") if params["model"] == "erase" else None
    _, call, form = build(params, [upload(rgb())], mask)
    assert call.url == EDIT.format(params["model"])
    assert form.fields == expected


@pytest.mark.parametrize(
    ("params", "images", "mask", "param", "message"),
    [
        ({"prompt": "p", "model": "inpaint"}, [rgb()], None, "mask", "No area to edit"),
        ({"prompt": "p", "model": "sd3.5-medium"}, [rgb()], True, "mask", "not taken"),
        ({"prompt": "p"}, [rgb(), rgb()], None, "image", "one image per request"),
        ({"prompt": "p"}, [rgb((63, 300))], None, "image", "at least 64 pixels"),
        ({"prompt": "p"}, [rgb((3100, 3100))], True, "image", "9,437,184 pixels"),
        ({"model": "remove-background", "prompt": "p"}, [rgb((2100, 2100))], None, "image",
         "4,194,304"),
        ({"model": "outpaint", "prompt": "p", "left": "5"}, [rgb((1000, 300))], None, "image",
         "2.5 times"),
        ({"model": "outpaint", "prompt": "p"}, [rgb()], None, "left", "at least one"),
        ({"model": "outpaint", "prompt": "p", "up": "2001"}, [rgb()], None, "up", "0 to 2000"),
        ({"model": "search-and-replace", "prompt": "p"}, [rgb()], None, "search_prompt",
         "required"),
        ({"prompt": "p", "seed": "x"}, [rgb()], True, "seed", "an integer"),
        ({"prompt": "p", "grow_mask": "101"}, [rgb()], True, "grow_mask", "0 to 100"),
        ({"prompt": "p", "model": "erase", "grow_mask": "21"}, [rgb()], True, "grow_mask",
         "0 to 20"),
        ({"prompt": "p", "model": "sd3", "strength": "1.5"}, [rgb()], None, "strength", "0 to 1"),
        ({"prompt": "p", "model": "core"}, [rgb()], None, "model", "has no image edits"),
        ({"prompt": "p", "model": "sd4-new", "size": "1024x1024"}, [rgb()], None, "size",
         "keep the input"),
    ],
)  # fmt: skip
def test_refusals_name_the_field(params, images, mask, param, message):
    mask_upload = upload(with_hole(size=Image.open(io.BytesIO(images[0])).size), "mask")
    with pytest.raises(InvalidRequest, match=message) as info:
        build(params, [upload(data) for data in images], mask_upload if mask else None)
    assert info.value.param == param


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"prompt": "p", "size": "1024x1024"}, "size"),
        ({"prompt": "p", "search_prompt": "dog"}, "search_prompt"),
        ({"prompt": "p", "model": "erase", "style_preset": "anime"}, "style_preset"),
        ({"prompt": "p", "background": "transparent"}, "background"),
        ({"prompt": "p", "output_format": "gif"}, "output_format"),
        ({"prompt": "p", "style": "vivid"}, "style"),
    ],
)
def test_the_capability_table_refuses_before_the_transform(params, param):
    with pytest.raises(InvalidRequest) as info:
        request_for(params, [upload(rgb())])
    assert info.value.param == param


def test_a_body_over_10_mib_is_refused_before_the_call():
    noise = Image.frombytes("RGB", (2000, 2000), random.Random(0).randbytes(12_000_000))
    big = upload(encoded(noise, "PNG"))
    assert big.size > 10 * 1024 * 1024
    with pytest.raises(InvalidRequest, match="10 MiB") as info:
        build({"prompt": "p", "model": "sd3"}, [big])
    assert info.value.param == "image"


def test_n_above_one_is_fanned_out_one_image_per_call():
    request = request_for({"prompt": "p", "n": 3}, [upload(rgb())], upload(with_hole(), "mask"))
    assert request.n == 3
    assert PROVIDER.edits.capabilities.per_call(request.model) == 1
    assert PROVIDER.edits.capabilities.per_call("sd3.5-new") == 1


def test_answers_are_read_as_generations_including_the_content_filter():
    request = request_for({"prompt": "p", "output_format": "webp"}, [upload(with_hole())])
    body = f'{{"image": "{TINY_PNG_B64}", "finish_reason": "SUCCESS", "seed": 1}}'.encode()
    reply = ProviderReply(200, {"content-type": "application/json"}, body)
    result = PROVIDER.edits.parse_reply(reply, request)
    [image] = result.images
    assert (image.b64_json, image.content_type) == (TINY_PNG_B64, "image/webp")
    flagged = body.replace(b"SUCCESS", b"CONTENT_FILTERED")
    with pytest.raises(ProviderError) as info:
        PROVIDER.edits.parse_reply(ProviderReply(200, reply.headers, flagged), request)
    assert info.value.code == "content_policy_violation"


def test_no_variations():
    assert PROVIDER.variations is None


@pytest.mark.parametrize(
    ("params", "alpha_image", "micro_usd"),
    [
        ({"prompt": "p"}, True, 50_000),  # inpaint: 5 credits
        ({"prompt": "p", "model": "erase"}, True, 50_000),
        ({"prompt": "p"}, False, 65_000),  # sd3 image-to-image, default sd3.5-large
        ({"prompt": "p", "model": "sd3.5-medium"}, False, 35_000),
        ({"prompt": "p", "model": "outpaint", "left": "10"}, False, None),  # not read
    ],
)
def test_prices_follow_the_service(params, alpha_image, micro_usd):
    image = upload(with_hole() if alpha_image else rgb())
    assert PROVIDER.edits.price(request_for(params, [image])) == micro_usd


def fake_reply(call):
    path = call.url.removeprefix("https://api.stability.ai")
    headers = {k.lower(): v for k, v in call.headers.items()}
    return fake.handle(fake.FakeRequest("POST", path, "", headers, call.body.to_bytes(), "x"))


@pytest.mark.parametrize(
    ("params", "mask"),
    [
        ({"prompt": "a hat"}, True),
        ({"prompt": "autumn", "seed": "3"}, False),
        ({"prompt": "p", "model": "erase", "grow_mask": "2"}, True),
        ({"prompt": "sky", "model": "outpaint", "left": "64"}, False),
        ({"prompt": "cat", "model": "search-and-replace", "search_prompt": "dog"}, False),
        ({"prompt": "red", "model": "search-and-recolor", "select_prompt": "car"}, False),
        ({"prompt": "p", "model": "remove-background"}, False),
    ],
)
def test_the_fake_takes_what_the_transform_sends(params, mask):
    """The fake checks the form as Stability does: every golden form passes it."""
    _, call, _ = build(params, [upload(rgb())], upload(with_hole(), "mask") if mask else None)
    reply = fake_reply(call)
    assert reply.status == 200, reply.body
    assert TINY_PNG_B64 in reply.body.decode()


def test_the_fake_refuses_what_stability_refuses():
    _, call, _ = build(
        {"prompt": "p", "model": "erase"}, [upload(rgb())], upload(with_hole(), "mask")
    )
    parts = call.body.to_bytes()
    headers = {k.lower(): v for k, v in call.headers.items()}
    bare = parts.split(b'name="mask"')[0]  # the mask part cut off: no closing boundary
    reply = fake.handle(
        fake.FakeRequest("POST", "/v2beta/stable-image/edit/erase", "", headers, bare, "x")
    )
    assert reply.status == 400
    body = multipart_body([("prompt", "p")], [("image", rgb())])
    reply = fake.handle(
        fake.FakeRequest("POST", "/v2beta/stable-image/edit/erase", "", body[1], body[0], "x")
    )
    assert reply.status == 400
    assert b"prompt: unknown field" in reply.body
    assert b"mask: required" in reply.body
    assert TINY_PNG not in reply.body


def multipart_body(fields, files):
    streamed, content_type = encode_files(
        fields, [(name, data, f"{name}.png", "image/png") for name, data in files]
    )
    return streamed.to_bytes(), {"content-type": content_type, "authorization": "Bearer sk-x"}
