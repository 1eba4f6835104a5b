"""Golden tests of Vertex AI's image edits (imagen-3.0-capability-001): the JSON each
OpenAI form becomes, the mask conversion pixel by pixel, the refusals and the answers;
the fake Vertex AI takes every body the transform builds. No HTTP."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import EDITS, GoogleServiceAccount, ProviderReply, Target
from gateway.providers.capabilities import resolve_upload
from gateway.providers.vertex_ai import PROVIDER
from gateway.providers.vertex_ai.edits import MAX_BYTES
from tests.e2e.fakes import FakeRequest
from tests.e2e.fakes import vertex_ai as fake_vertex
from tests.upload_images import encoded, rgb, upload, with_hole

OPTIONS = {"vertex_project_id": "my-project", "vertex_region": "us-central1"}
TARGET = Target(provider="vertex-ai", base_url=None, api_key="ya29.token", options=OPTIONS)
MODEL = "imagen-3.0-capability-001"
URL = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/"
    f"us-central1/publishers/google/models/{MODEL}:predict"
)


def request_for(params, images, mask=None):
    caps = PROVIDER.edits.capabilities
    return resolve_upload(caps, EDITS, {"prompt": "a vase", **params}, tuple(images), mask)


def body_of(params, images, mask=None, target=TARGET) -> dict:
    call = PROVIDER.edits.build_call(request_for(params, images, mask), target)
    return json.loads(call.body)


def refused(params, images, mask=None) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        body_of(params, images, mask)
    return caught.value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def picture(data: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image


def test_edit_with_a_mask_is_an_exact_inpaint_insertion_call():
    image, mask = rgb(), with_hole()
    request = request_for({"n": 2}, [upload(image)], upload(mask, "mask"))
    call = PROVIDER.edits.build_call(request, TARGET)
    assert (call.method, call.url) == ("POST", URL)
    assert call.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer ya29.token",
    }
    assert call.signing is None
    body = json.loads(call.body)
    [raw, masked] = body["instances"][0]["referenceImages"]
    assert body["instances"][0]["prompt"] == "a vase"
    assert raw == {
        "referenceType": "REFERENCE_TYPE_RAW",
        "referenceId": 1,
        "referenceImage": {"bytesBase64Encoded": b64(image)},  # a PNG is sent unchanged
    }
    assert masked["referenceType"] == "REFERENCE_TYPE_MASK"
    assert masked["referenceId"] == 2
    assert masked["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED"}
    assert body["parameters"] == {
        "sampleCount": 2,
        "includeRaiReason": True,
        "editMode": "EDIT_MODE_INPAINT_INSERTION",
    }


def test_mask_is_white_where_openai_is_transparent_at_the_image_size():
    mask = with_hole(size=(200, 160), box=(0, 0, 100, 80))  # half the image's size
    body = body_of({}, [upload(rgb())], upload(mask, "mask"))
    sent = picture(
        body["instances"][0]["referenceImages"][1]["referenceImage"]["bytesBase64Encoded"]
    )
    assert sent.format == "PNG"
    assert sent.size == (400, 320)
    assert sent.mode == "L"
    assert sent.getpixel((10, 10)) == 255  # non-zero: edit here
    assert sent.getpixel((199, 159)) == 255
    assert sent.getpixel((200, 160)) == 0  # kept
    assert sent.getpixel((399, 319)) == 0
    assert sorted(c for _, c in sent.getcolors()) == [0, 255]


def test_a_mask_without_alpha_is_imagens_own_kind_and_sent_as_it_is():
    """White where to edit, as Imagen reads it (and as Stability and Recraft take theirs)."""
    own = Image.new("L", (400, 320), 0)
    own.paste(255, (0, 0, 100, 100))
    mask = encoded(own)
    body = body_of({}, [upload(rgb())], upload(mask, "mask"))
    masked = body["instances"][0]["referenceImages"][1]
    assert masked["referenceImage"] == {"bytesBase64Encoded": b64(mask)}
    assert masked["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED"}
    other_size = upload(encoded(Image.new("L", (200, 160), 255)), "mask")
    assert refused({}, [upload(rgb())], other_size).param == "mask"


def test_image_with_transparency_and_no_mask_is_its_own_mask():
    image = with_hole()
    body = body_of({}, [upload(image)])
    [raw, masked] = body["instances"][0]["referenceImages"]
    assert raw["referenceImage"] == {"bytesBase64Encoded": b64(image)}
    assert masked["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED"}
    sent = picture(masked["referenceImage"]["bytesBase64Encoded"])
    assert (sent.getpixel((5, 5)), sent.getpixel((300, 300))) == (255, 0)
    assert body["parameters"]["editMode"] == "EDIT_MODE_INPAINT_INSERTION"


@pytest.mark.parametrize("image", [rgb(), encoded(Image.new("RGBA", (64, 64), (1, 2, 3, 255)))])
def test_edit_without_any_mask_is_mask_free(image):
    body = body_of({}, [upload(image)])
    assert body == {
        "instances": [
            {
                "prompt": "a vase",
                "referenceImages": [
                    {
                        "referenceType": "REFERENCE_TYPE_RAW",
                        "referenceId": 1,
                        "referenceImage": {"bytesBase64Encoded": b64(image)},
                    }
                ],
            }
        ],
        "parameters": {"sampleCount": 1, "includeRaiReason": True},
    }


def test_edit_mode_default_is_named_when_asked():
    body = body_of({"edit_mode": "default"}, [upload(rgb())])
    assert body["parameters"]["editMode"] == "EDIT_MODE_DEFAULT"
    assert len(body["instances"][0]["referenceImages"]) == 1


@pytest.mark.parametrize(
    ("params", "mask_mode", "edit_mode"),
    [
        ({"mask_mode": "background"}, "MASK_MODE_BACKGROUND", "EDIT_MODE_BGSWAP"),
        ({"edit_mode": "bgswap"}, "MASK_MODE_BACKGROUND", "EDIT_MODE_BGSWAP"),
        ({"mask_mode": "foreground"}, "MASK_MODE_FOREGROUND", "EDIT_MODE_INPAINT_INSERTION"),
        (
            {"mask_mode": "MASK_MODE_FOREGROUND", "edit_mode": "EDIT_MODE_INPAINT_REMOVAL"},
            "MASK_MODE_FOREGROUND",
            "EDIT_MODE_INPAINT_REMOVAL",
        ),
        (
            {"mask_mode": "background", "edit_mode": "inpaint_insertion", "mask_dilation": "0"},
            "MASK_MODE_BACKGROUND",
            "EDIT_MODE_INPAINT_INSERTION",
        ),
    ],
)
def test_mask_mode_lets_imagen_make_the_mask(params, mask_mode, edit_mode):
    body = body_of(params, [upload(rgb())])
    [_, masked] = body["instances"][0]["referenceImages"]
    config = {"maskMode": mask_mode}
    if "mask_dilation" in params:
        config["dilation"] = 0.0
    assert masked == {
        "referenceType": "REFERENCE_TYPE_MASK",
        "referenceId": 2,
        "maskImageConfig": config,
    }
    assert body["parameters"]["editMode"] == edit_mode


def test_form_text_becomes_imagen_parameters():
    params = {
        "n": 4,
        "edit_mode": "inpaint_removal",
        "mask_dilation": "0.02",
        "base_steps": "35",
        "guidance_scale": "60",
        "negative_prompt": "people",
        "seed": "42",
        "addWatermark": "false",
        "personGeneration": "dont_allow",
        "safetySetting": "block_only_high",
        "output_format": "jpeg",
        "output_compression": 80,
        "quality": "high",
        "background": "opaque",
        "size": "400x320",
    }
    body = body_of(params, [upload(rgb())], upload(with_hole(), "mask"))
    masked = body["instances"][0]["referenceImages"][1]
    assert masked["maskImageConfig"] == {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": 0.02}
    assert body["parameters"] == {
        "sampleCount": 4,
        "negativePrompt": "people",
        "seed": 42,
        "personGeneration": "dont_allow",
        "safetySetting": "block_only_high",
        "addWatermark": False,
        "includeRaiReason": True,
        "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 80},
        "editMode": "EDIT_MODE_INPAINT_REMOVAL",
        "guidanceScale": 60,
        "editConfig": {"baseSteps": 35},
    }


def test_override_params_may_be_typed_already():
    params = {"seed": 7, "addWatermark": False, "base_steps": 12, "mask_dilation": 0.5}
    body = body_of({**params, "mask_mode": "background"}, [upload(rgb())])
    assert body["parameters"]["seed"] == 7
    assert body["parameters"]["editConfig"] == {"baseSteps": 12}
    assert body["instances"][0]["referenceImages"][1]["maskImageConfig"]["dilation"] == 0.5


def test_webp_image_is_sent_as_png_and_jpeg_as_is():
    webp, jpeg = rgb(fmt="WEBP"), rgb(fmt="JPEG")
    sent = body_of({}, [upload(webp)])["instances"][0]["referenceImages"][0]
    assert picture(sent["referenceImage"]["bytesBase64Encoded"]).format == "PNG"
    sent = body_of({}, [upload(jpeg)])["instances"][0]["referenceImages"][0]
    assert sent["referenceImage"]["bytesBase64Encoded"] == b64(jpeg)


def test_service_account_signs_and_names_the_project():
    account = json.dumps({"type": "service_account", "project_id": "sa-project"})
    target = Target(
        provider="vertex-ai",
        base_url=None,
        api_key="",
        options={"vertex_region": "europe-west4", "vertex_service_account_json": account},
    )
    call = PROVIDER.edits.build_call(request_for({}, [upload(rgb())]), target)
    assert call.url == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/sa-project/locations/"
        f"europe-west4/publishers/google/models/{MODEL}:predict"
    )
    assert isinstance(call.signing, GoogleServiceAccount)
    assert "Authorization" not in call.headers


def test_default_model_is_the_capability_model_with_four_per_call():
    request = request_for({}, [upload(rgb())])
    assert (request.model, request.size, request.model_was_defaulted) == (MODEL, "auto", True)
    assert PROVIDER.edits.capabilities.per_call(MODEL) == 4
    assert PROVIDER.edits.capabilities.per_call("imagen-4.0-capability-preview") == 4
    assert request_for({"model": "imagen-9-capability"}, [upload(rgb())]).size == "auto"


def test_variations_are_not_offered():
    assert PROVIDER.variations is None


@pytest.mark.parametrize(
    ("params", "images", "mask", "param", "words"),
    [
        ({}, [rgb(), rgb()], None, "image", "one image per request; got 2"),
        ({"size": "1024x1024"}, [rgb()], None, "size", "own size, 400x320"),
        ({}, [rgb()], with_hole(alpha=255), "mask", "marks nothing to edit"),
        ({"mask_mode": "background"}, [rgb()], with_hole(), "mask_mode", "not both"),
        ({"mask_mode": "user_provided"}, [rgb()], None, "mask_mode", "needs a 'mask' file"),
        ({"edit_mode": "inpaint_removal"}, [rgb()], None, "edit_mode", "needs a mask"),
        ({"edit_mode": "outpaint"}, [rgb()], None, "edit_mode", "needs a mask"),
        ({"mask_dilation": "0.1"}, [rgb()], None, "mask_dilation", "needs a mask"),
        (
            {"mask_dilation": "2", "mask_mode": "background"},
            [rgb()],
            None,
            "mask_dilation",
            "0 to 1",
        ),
        (
            {"mask_dilation": "nan", "mask_mode": "background"},
            [rgb()],
            None,
            "mask_dilation",
            "0 to 1",
        ),
        ({"base_steps": "many"}, [rgb()], None, "base_steps", "whole number"),
        ({"base_steps": "0"}, [rgb()], None, "base_steps", "at least 1"),
        ({"guidance_scale": "-1"}, [rgb()], None, "guidance_scale", "at least 0"),
        ({"seed": "42"}, [rgb()], None, "seed", "addWatermark"),
        ({"seed": "4294967296", "addWatermark": "false"}, [rgb()], None, "seed", "0 to"),
        ({"addWatermark": "no"}, [rgb()], None, "addWatermark", "'addWatermark'"),
        ({"edit_mode": "zoom"}, [rgb()], None, "edit_mode", "'edit_mode'"),
        ({"output_format": "webp"}, [rgb()], None, "output_format", "'output_format'"),
        ({"aspectRatio": "16:9"}, [rgb()], None, "aspectRatio", "keeps the input's size"),
        ({"enhancePrompt": "true"}, [rgb()], None, "enhancePrompt", "image generations"),
        ({"background": "transparent"}, [rgb()], None, "background", "'background'"),
        ({"style": "vivid"}, [rgb()], None, "style", "'style'"),
        ({"n": 11}, [rgb()], None, "n", "1 to 10"),
    ],
)
def test_refusals_name_the_field(params, images, mask, param, words):
    mask_upload = upload(mask, "mask") if mask is not None else None
    error = refused(params, [upload(i) for i in images], mask_upload)
    assert error.param == param
    assert words in error.message


def test_image_over_ten_mb_is_refused_before_reading():
    error = refused({}, [upload(rgb(), size=MAX_BYTES + 1)])
    assert error.param == "image"
    assert "10,485,761 bytes as sent" in error.message
    assert body_of({}, [upload(rgb(), size=MAX_BYTES)])  # exactly 10 MB passes


def reply(payload: dict, status: int = 200) -> ProviderReply:
    return ProviderReply(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def test_parse_reply_reads_predictions_as_generations():
    request = request_for({"n": 2}, [upload(rgb())])
    png = b64(rgb((8, 8)))
    answer = {"predictions": [{"bytesBase64Encoded": png, "mimeType": "image/png"}] * 2}
    result = PROVIDER.edits.parse_reply(reply(answer), request)
    assert [i.b64_json for i in result.images] == [png, png]


def test_parse_reply_filtered_image_is_a_content_policy_400():
    request = request_for({}, [upload(rgb())])
    answer = {"predictions": [{"raiFilteredReason": "Unable to show generated images."}]}
    with pytest.raises(ProviderError) as caught:
        PROVIDER.edits.parse_reply(reply(answer), request)
    assert caught.value.status == 400
    assert "raiFilteredReason" in caught.value.message


def fake_answer(body: dict) -> tuple[int, dict]:
    path = f"/v1/projects/my-project/locations/us-central1/publishers/google/models/{MODEL}:predict"
    req = FakeRequest(
        method="POST",
        path=path,
        query="",
        headers={"authorization": f"Bearer {fake_vertex.ACCESS_TOKEN}"},
        body=json.dumps(body).encode(),
        base="http://fake/p/vertex-ai",
    )
    answer = fake_vertex.handle(req)
    return answer.status, json.loads(answer.body)


@pytest.mark.parametrize(
    ("params", "image", "mask"),
    [
        ({"n": 3}, rgb(), with_hole()),
        ({}, with_hole(), None),
        ({}, rgb(fmt="JPEG"), None),
        ({"mask_mode": "background", "mask_dilation": "0.1"}, rgb(), None),
        ({"edit_mode": "outpaint", "base_steps": "35", "guidance_scale": "20"}, rgb(), with_hole()),
        ({"seed": "3", "addWatermark": "false", "output_format": "jpeg"}, rgb(fmt="WEBP"), None),
    ],
)
def test_the_fake_vertex_takes_every_body_built(params, image, mask):
    mask_upload = upload(mask, "mask") if mask is not None else None
    body = body_of(params, [upload(image)], mask_upload)
    status, answer = fake_answer(body)
    assert status == 200, answer
    assert len(answer["predictions"]) == params.get("n", 1)
    assert picture(answer["predictions"][0]["bytesBase64Encoded"]).size == (400, 320)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda b: b["parameters"].update(editMode="EDIT_MODE_OUTPAINT"), "needs a REFERENCE"),
        (lambda b: b["parameters"].update(sampleCount=5), "sampleCount"),
        (lambda b: b["parameters"].update(baseSteps=3), "Unknown name"),
        (
            lambda b: b["instances"][0]["referenceImages"].append(
                b["instances"][0]["referenceImages"][0]
            ),
            "one raw",
        ),
        (
            lambda b: b["instances"][0]["referenceImages"][0]["referenceImage"].update(
                bytesBase64Encoded="bm90IGFuIGltYWdl"
            ),
            "not a base64 image",
        ),
    ],
)
def test_the_fake_vertex_refuses_what_google_would(change, words):
    body = body_of({}, [upload(rgb())])
    change(body)
    status, answer = fake_answer(body)
    assert status == 400
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert words in answer["error"]["message"]


def test_the_fake_vertex_refuses_a_mask_of_another_size():
    body = body_of({}, [upload(rgb())], upload(with_hole(), "mask"))
    small = b64(encoded(Image.new("L", (10, 10), 255)))
    body["instances"][0]["referenceImages"][1]["referenceImage"]["bytesBase64Encoded"] = small
    status, answer = fake_answer(body)
    assert status == 400
    assert "raw image's size" in answer["error"]["message"]
