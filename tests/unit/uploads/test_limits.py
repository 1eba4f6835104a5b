"""Each model's edit and variation limits (uploads.limits), checked before any call."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.uploads import Upload, checks
from gateway.uploads.limits import EDIT_MODELS, VARIATION_MODELS, VARIATION_REFUSED
from gateway.uploads.models import MIB
from gateway.uploads.reader import check_upload

from .bodies import body, edit, edit_body, file, image, refusal, text, variation

SQUARE = image("PNG", (256, 256), "RGBA")
SQUARE_RGB = image("PNG", (256, 256), "RGB")


def _error(reader, raw):
    status, error = refusal(reader, raw)
    return status, error["code"], error["param"]


def test_the_table_names_the_models_of_the_reference():
    assert sorted(EDIT_MODELS) == [
        "dall-e-2",
        "gpt-image-1",
        "gpt-image-1-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "gpt-image-2-2026-04-21",
    ]
    assert sorted(VARIATION_MODELS) == ["dall-e-2"]
    assert "gpt-image-1" in VARIATION_REFUSED


def test_seventeen_images_to_gpt_image_1_are_refused():
    raw = edit_body([image(size=(8, 8))] * 17, model="gpt-image-1")
    status, error = refusal(edit, raw)
    assert (status, error) == (
        400,
        {
            "message": "17 images were sent; model 'gpt-image-1' takes at most 16 images.",
            "type": "invalid_request_error",
            "param": "image",
            "code": "too_many_images",
        },
    )


def test_sixteen_images_to_gpt_image_1_pass():
    with edit(edit_body([image(size=(8, 8))] * 16, model="gpt-image-1")) as request:
        assert [u.param for u in request.images][-1] == "image[15]"


def test_dall_e_2_mask_of_another_size_is_refused():
    raw = body(
        text("model", "dall-e-2"),
        text("prompt", "p"),
        file("image", SQUARE),
        file("mask", image("PNG", (128, 128), "RGBA")),
    )
    status, error = refusal(edit, raw)
    assert (status, error) == (
        400,
        {
            "message": "The mask is 128x128 and the image in 'image' 256x256; they must have "
            "the same dimensions.",
            "type": "invalid_request_error",
            "param": "mask",
            "code": "mask_size_mismatch",
        },
    )


BIG_PNG = image("PNG", (1200, 1200), "RGBA", compress_level=0)  # 5.7 MB, square


@pytest.mark.parametrize(
    ("files", "code", "param"),
    [
        ([("image", image("PNG", (256, 200), "RGBA"))], "image_not_square", "image"),
        ([("image", image("JPEG", (256, 256), "RGB"))], "unsupported_image_format", "image"),
        ([("image", image("WEBP", (256, 256), "RGBA"))], "unsupported_image_format", "image"),
        ([("image", BIG_PNG)], "image_file_too_large", "image"),
        ([("image[]", SQUARE), ("image[]", SQUARE)], "too_many_images", "image"),
        ([("image", SQUARE_RGB)], "alpha_channel_required", "image"),
        ([("image", SQUARE), ("mask", SQUARE_RGB)], "alpha_channel_required", "mask"),
        (
            [("image", SQUARE), ("mask", image("JPEG", (256, 256), "RGB"))],
            "unsupported_image_format",
            "mask",
        ),
        (
            [("image", SQUARE), ("mask", image("PNG", (256, 128), "RGBA"))],
            "mask_size_mismatch",
            "mask",
        ),
    ],
)
def test_dall_e_2_edit_images(files, code, param):
    raw = body(text("model", "dall-e-2"), text("prompt", "p"), *(file(n, d) for n, d in files))
    assert _error(edit, raw) == (400, code, param)


def test_dall_e_2_takes_an_rgb_image_with_an_alpha_mask_and_a_transparent_image_alone():
    for files in ([("image", SQUARE_RGB), ("mask", SQUARE)], [("image", SQUARE)]):
        raw = body(text("model", "dall-e-2"), text("prompt", "p"), *(file(n, d) for n, d in files))
        with edit(raw) as request:
            assert request.images[0].width == 256


def test_gpt_image_mask_must_match_the_first_image_and_be_a_png_with_alpha():
    raw = body(
        text("model", "gpt-image-1"),
        text("prompt", "p"),
        file("image[]", image("PNG", (300, 200))),
        file("image[]", image("PNG", (64, 64))),
        file("mask", image("PNG", (64, 64))),
    )
    assert _error(edit, raw) == (400, "mask_size_mismatch", "mask")


@pytest.mark.parametrize(
    ("model", "size", "refused"),
    [
        ("gpt-image-1", 50 * MIB, False),
        ("gpt-image-1", 50 * MIB + 1, True),
        ("dall-e-2", 4 * MIB, False),
        ("dall-e-2", 4 * MIB + 1, True),
    ],
)
def test_each_model_byte_limit_is_at_most_its_mib(model, size, refused):
    """A gateway limit raised past 50 MiB still leaves the model's own (a 400, not 413)."""
    upload = Upload("image", "png", 64, 64, True, size=size, sha256="")
    if not refused:
        checks.check_images(model, EDIT_MODELS[model], [upload])
        return
    with pytest.raises(GatewayError) as caught:
        checks.check_images(model, EDIT_MODELS[model], [upload])
    assert (caught.value.status, caught.value.code, caught.value.param) == (
        400,
        "image_file_too_large",
        "image",
    )


@pytest.mark.parametrize(
    ("model", "fields", "param", "message"),
    [
        (
            "dall-e-2",
            {"size": "1024x1536"},
            "size",
            "'size' '1024x1536' is not supported by model 'dall-e-2'; use one of "
            "256x256, 512x512, 1024x1024.",
        ),
        (
            "dall-e-2",
            {"quality": "high"},
            "quality",
            "'quality' 'high' is not supported by model 'dall-e-2'; use one of standard.",
        ),
        (
            "dall-e-2",
            {"background": "transparent"},
            "background",
            "'background' is not supported by model 'dall-e-2'.",
        ),
        (
            "dall-e-2",
            {"output_format": "png"},
            "output_format",
            "'output_format' is not supported by model 'dall-e-2'.",
        ),
        (
            "dall-e-2",
            {"output_compression": "50"},
            "output_compression",
            "'output_compression' is not supported by model 'dall-e-2'.",
        ),
        (
            "dall-e-2",
            {"input_fidelity": "high"},
            "input_fidelity",
            "'input_fidelity' is not supported by model 'dall-e-2'.",
        ),
        (
            "dall-e-2",
            {"prompt": "p" * 1001},
            "prompt",
            "'prompt' is 1001 characters; model 'dall-e-2' accepts at most 1000.",
        ),
        (
            "gpt-image-1-mini",
            {"input_fidelity": "high"},
            "input_fidelity",
            "'input_fidelity' is not supported by model 'gpt-image-1-mini'.",
        ),
        (
            "gpt-image-1",
            {"input_fidelity": "medium"},
            "input_fidelity",
            "'input_fidelity' 'medium' is not supported by model 'gpt-image-1'; use "
            "one of high, low.",
        ),
        (
            "gpt-image-1",
            {"quality": "standard"},
            "quality",
            "'quality' 'standard' is not supported by model 'gpt-image-1'; use one of "
            "auto, low, medium, high.",
        ),
        (
            "gpt-image-1",
            {"size": "256x256"},
            "size",
            "'size' '256x256' is not supported by model 'gpt-image-1'; use one of "
            "1024x1024, 1536x1024, 1024x1536, auto.",
        ),
        (
            "gpt-image-1",
            {"response_format": "png"},
            "response_format",
            "'response_format' 'png' is not supported by model 'gpt-image-1'; use one "
            "of url, b64_json.",
        ),
        (
            "gpt-image-1",
            {"output_format": "gif"},
            "output_format",
            "'output_format' 'gif' is not supported by model 'gpt-image-1'; use one "
            "of png, jpeg, webp.",
        ),
        (
            "gpt-image-1",
            {"background": "none"},
            "background",
            "'background' 'none' is not supported by model 'gpt-image-1'; use one of "
            "transparent, opaque, auto.",
        ),
        (
            "gpt-image-1",
            {"output_compression": "50"},
            "output_compression",
            "For model 'gpt-image-1', 'output_compression' needs 'output_format' jpeg "
            "or webp; got png (the default).",
        ),
        (
            "gpt-image-1",
            {"background": "transparent", "output_format": "jpeg"},
            "background",
            "For model 'gpt-image-1', 'background' transparent needs 'output_format' "
            "png or webp; got jpeg.",
        ),
        (
            "gpt-image-1.5",
            {"n": "11"},
            "n",
            "'n' 11 is not supported by model 'gpt-image-1.5'; use 1 to 10.",
        ),
        (
            "gpt-image-1.5",
            {"n": "0"},
            "n",
            "'n' 0 is not supported by model 'gpt-image-1.5'; use 1 to 10.",
        ),
        (
            "gpt-image-2",
            {"size": "1000x1000"},
            "size",
            "'size' 1000x1000 is not supported by model 'gpt-image-2': each side must "
            "be a multiple of 16 up to 3840.",
        ),
        (
            "gpt-image-2",
            {"size": "4096x1024"},
            "size",
            "'size' 4096x1024 is not supported by model 'gpt-image-2': each side must "
            "be a multiple of 16 up to 3840.",
        ),
        (
            "gpt-image-2",
            {"size": "3840x1024"},
            "size",
            "'size' 3840x1024 is not supported by model 'gpt-image-2': the long side "
            "may be at most 3 times the short one.",
        ),
        (
            "gpt-image-2",
            {"size": "3840x2176"},
            "size",
            "'size' 3840x2176 is not supported by model 'gpt-image-2': at most 8,294,400 pixels.",
        ),
        (
            "acme-edit-9",
            {"size": "huge"},
            "size",
            "'size' 'huge' is not a size; use WIDTHxHEIGHT (like 1024x1024) or auto.",
        ),
        (
            "acme-edit-9",
            {"response_format": "png"},
            "response_format",
            "'response_format' 'png' is not supported by model 'acme-edit-9'; use one "
            "of url, b64_json.",
        ),
    ],
)
def test_edit_values_per_model(model, fields, param, message):
    raw = edit_body([SQUARE], field="image", model=model, **fields)
    status, error = refusal(edit, raw)
    assert (status, error) == (
        400,
        {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": "invalid_value",
        },
    )


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("gpt-image-2", {"size": "2048x1152"}),
        ("gpt-image-2", {"size": "auto", "input_fidelity": "low"}),
        ("gpt-image-1", {"background": "transparent", "output_format": "webp"}),
        ("gpt-image-1", {"output_compression": "0", "output_format": "jpeg"}),
        ("gpt-image-1.5", {"response_format": "url", "quality": "auto", "n": "10"}),
        ("dall-e-2", {"quality": "standard", "size": "1024x1024", "response_format": "url"}),
        ("acme-edit-9", {"quality": "ultra", "background": "blue", "size": "900x900"}),
    ],
)
def test_edit_values_each_model_takes(model, fields):
    with edit(edit_body([SQUARE], field="image", model=model, **fields)) as request:
        assert request.model == model


def test_dall_e_3_has_no_edits():
    raw = edit_body([SQUARE], field="image", model="dall-e-3")
    status, error = refusal(edit, raw)
    assert (status, error["code"], error["param"]) == (400, "unsupported_model", "model")
    assert error["message"] == (
        "Model 'dall-e-3' does not support image edits; use one of dall-e-2, gpt-image-1, "
        "gpt-image-1-mini, gpt-image-1.5, gpt-image-2, gpt-image-2-2026-04-21 or another "
        "provider's model."
    )


@pytest.mark.parametrize("model", ["gpt-image-1", "gpt-image-2", "dall-e-3"])
def test_variations_are_dall_e_2_only_among_openai_models(model):
    raw = body(text("model", model), file("image", SQUARE))
    status, error = refusal(variation, raw)
    assert (status, error["code"], error["param"]) == (400, "unsupported_model", "model")
    assert error["message"] == (
        f"Model '{model}' does not support image variations; use one of dall-e-2 or "
        "another provider's model."
    )


@pytest.mark.parametrize(
    ("parts", "code", "param"),
    [
        ([file("image", image("PNG", (256, 128)))], "image_not_square", "image"),
        ([file("image", image("JPEG", (256, 256), "RGB"))], "unsupported_image_format", "image"),
        ([file("image", BIG_PNG)], "image_file_too_large", "image"),
        ([file("image[]", SQUARE), file("image[]", SQUARE)], "too_many_images", "image"),
        ([file("image", SQUARE), text("size", "1536x1024")], "invalid_value", "size"),
        ([file("image", SQUARE), text("n", "11")], "invalid_value", "n"),
        (
            [file("image", SQUARE), text("response_format", "png")],
            "invalid_value",
            "response_format",
        ),
    ],
)
def test_dall_e_2_variation_limits(parts, code, param):
    assert _error(variation, body(text("model", "dall-e-2"), *parts)) == (400, code, param)


def test_an_unnamed_model_gets_generic_checks_then_each_targets_own():
    """Without 'model', each target resolves its own default: the form passes the
    generic checks, and check_upload applies that model's (dall-e-2 for OpenAI)."""
    raw = body(file("image", image("JPEG", (300, 200), "RGB")))
    with variation(raw) as request:
        assert (request.model_named, request.image.format) == (False, "jpeg")
        with pytest.raises(GatewayError) as refused:
            check_upload("variations", "dall-e-2", {}, (request.image,), None)
        assert (refused.value.code, refused.value.param) == ("unsupported_image_format", "image")
        check_upload("variations", "amazon.nova-canvas-v1:0", {}, (request.image,), None)


def test_check_upload_reads_the_typed_params_of_the_target():
    raw = body(file("image", SQUARE), text("prompt", "a hat"))
    with edit(raw) as request:
        images = request.images
    with pytest.raises(GatewayError) as refused:
        check_upload("edits", "dall-e-2", {"prompt": "x", "size": "1536x1024"}, images, None)
    assert (refused.value.code, refused.value.param) == ("invalid_value", "size")
    with pytest.raises(GatewayError) as refused:
        check_upload("edits", "dall-e-3", {"prompt": "x"}, images, None)
    assert refused.value.code == "unsupported_model"


def test_a_variation_with_an_unknown_model_gets_generic_checks():
    raw = body(
        text("model", "amazon.titan-image-generator-v2:0"),
        file("image", image("JPEG", (300, 200), "RGB")),
    )
    with variation(raw) as request:
        assert (request.model, request.image.format) == (
            "amazon.titan-image-generator-v2:0",
            "jpeg",
        )
