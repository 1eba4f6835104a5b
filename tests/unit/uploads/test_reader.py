"""Well-formed edit and variation forms parse into checked value objects."""

from __future__ import annotations

import hashlib
import io
import warnings

import httpx
import openai
import pytest

from gateway.uploads import EditRequest, Upload, UploadLimits, VariationRequest, read_edit

from .bodies import (
    body,
    edit,
    edit_body,
    file,
    image,
    status_code_param,
    text,
    variation,
)


def test_single_image_edit_for_dall_e_2_with_mask_parses():
    picture = image(size=(256, 256), mode="RGB")
    mask = image(size=(256, 256), mode="RGBA")
    raw = body(
        text("model", "dall-e-2"),
        text("prompt", "add a hat"),
        text("n", "2"),
        text("size", "512x512"),
        text("response_format", "b64_json"),
        text("user", "user-1234"),
        file("image", picture, "cat.png"),
        file("mask", mask, "mask.png"),
    )
    with edit(raw) as request:
        assert isinstance(request, EditRequest)
        assert (request.model, request.prompt, request.n, request.size) == (
            "dall-e-2",
            "add a hat",
            2,
            "512x512",
        )
        assert (request.response_format, request.user, request.model_named) == (
            "b64_json",
            "user-1234",
            True,
        )
        assert request.images == (
            Upload(
                param="image",
                format="png",
                width=256,
                height=256,
                has_alpha=False,
                size=len(picture),
                sha256=hashlib.sha256(picture).hexdigest(),
                data=picture,
                filename="cat.png",
                content_type="image/png",
            ),
        )
        assert request.mask is not None
        assert (request.mask.param, request.mask.has_alpha, request.mask.size) == (
            "mask",
            True,
            len(mask),
        )
        assert request.mask.sha256 == hashlib.sha256(mask).hexdigest()
        assert request.uploads == (*request.images, request.mask)
        assert dict(request.fields) == {
            "model": "dall-e-2",
            "prompt": "add a hat",
            "n": "2",
            "size": "512x512",
            "response_format": "b64_json",
            "user": "user-1234",
        }


def test_multi_image_edit_for_gpt_image_1_parses_every_option():
    pictures = [
        image("PNG", (300, 200), "RGBA"),
        image("JPEG", (640, 480), "RGB"),
        image("WEBP", (50, 60), "RGBA"),
    ]
    raw = edit_body(
        pictures,
        model="gpt-image-1",
        prompt="a gift basket of these items",
        n="3",
        size="1536x1024",
        quality="high",
        background="opaque",
        output_format="webp",
        output_compression="80",
        input_fidelity="high",
    )
    with edit(raw) as request:
        assert [(u.param, u.format, u.width, u.height, u.has_alpha) for u in request.images] == [
            ("image[0]", "png", 300, 200, True),
            ("image[1]", "jpeg", 640, 480, False),
            ("image[2]", "webp", 50, 60, True),
        ]
        assert [u.sha256 for u in request.images] == [
            hashlib.sha256(p).hexdigest() for p in pictures
        ]
        assert [u.read() for u in request.images] == pictures
        assert [u.mime_type for u in request.images] == ["image/png", "image/jpeg", "image/webp"]
        assert (request.n, request.size, request.quality, request.background) == (
            3,
            "1536x1024",
            "high",
            "opaque",
        )
        assert (request.output_format, request.output_compression, request.input_fidelity) == (
            "webp",
            80,
            "high",
        )
        assert request.mask is None


def test_repeated_bare_image_fields_are_a_list():
    raw = body(text("prompt", "p"), file("image", image()), file("image", image(size=(8, 8))))
    with edit(raw) as request:
        assert [(u.param, u.width) for u in request.images] == [("image[0]", 64), ("image[1]", 8)]


def test_no_model_means_openai_default_for_edits_and_unknown_fields_are_kept():
    raw = edit_body([image()], field="image", seed="42", stream="false")
    with edit(raw) as request:
        assert (request.model, request.model_named) == ("gpt-image-1.5", False)
        assert request.images[0].param == "image"
        assert dict(request.fields) == {
            "seed": "42",
            "stream": "false",
            "prompt": "a red fox in the snow",
        }


def test_unknown_model_gets_generic_checks_only():
    raw = edit_body([image("JPEG", (100, 40), "RGB")], model="acme-edit-9", size="777x333")
    with edit(raw) as request:
        assert (request.model, request.size, request.images[0].format) == (
            "acme-edit-9",
            "777x333",
            "jpeg",
        )


def test_variation_parses_and_defaults_to_dall_e_2():
    picture = image(size=(512, 512), mode="RGB")
    raw = body(text("n", "4"), text("size", "256x256"), file("image", picture))
    with variation(raw) as request:
        assert isinstance(request, VariationRequest)
        assert (request.model, request.n, request.size, request.model_named) == (
            "dall-e-2",
            4,
            "256x256",
            False,
        )
        assert (request.image.width, request.image.sha256) == (
            512,
            hashlib.sha256(picture).hexdigest(),
        )
        assert request.uploads == (request.image,)


def _sdk_body(call):
    """What openai-python puts on the wire for ``call(client)``."""
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["content_type"] = request.headers["content-type"]
        seen["body"] = request.read()
        return httpx.Response(200, json={"created": 0, "data": []})

    transport = httpx.MockTransport(handler)
    with httpx.Client(transport=transport) as http:
        client = openai.OpenAI(
            api_key="sk-test", base_url="http://gateway.test/v1", http_client=http, max_retries=0
        )
        call(client)
    return seen["content_type"], seen["body"]


def test_openai_sdk_list_of_images_is_read_as_image_array():
    a, b = image(size=(32, 32)), image("WEBP", (16, 16), "RGB")
    ctype, raw = _sdk_body(
        lambda c: c.images.edit(
            image=[("a.png", a, "image/png"), ("b.webp", b, "image/webp")],
            prompt="merge them",
            model="gpt-image-1",
            n=2,
        )
    )
    assert b'name="image[]"' in raw
    with read_edit(
        io.BytesIO(raw), content_type=ctype, content_length=len(raw), limits=UploadLimits()
    ) as request:
        assert [(u.param, u.format, u.filename) for u in request.images] == [
            ("image[0]", "png", "a.png"),
            ("image[1]", "webp", "b.webp"),
        ]
        assert (request.prompt, request.model, request.n) == ("merge them", "gpt-image-1", 2)


def test_openai_sdk_single_image_and_variation_are_read():
    a = image(size=(64, 64))
    ctype, raw = _sdk_body(
        lambda c: c.images.edit(image=("a.png", a, "image/png"), prompt="p", model="dall-e-2")
    )
    assert b'name="image"; filename="a.png"' in raw
    with edit(raw, content_type=ctype) as request:
        assert request.images[0].param == "image"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK deprecates the route
        ctype, raw = _sdk_body(lambda c: c.images.create_variation(image=("a.png", a, "image/png")))
    with variation(raw, content_type=ctype) as request:
        assert (request.model, request.image.size) == ("dall-e-2", len(a))


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (body(text("prompt", "p")), "missing_field", "image"),
        (body(file("image", image())), "missing_field", "prompt"),
        (body(text("prompt", ""), file("image", image())), "missing_field", "prompt"),
    ],
)
def test_required_fields(raw, code, param):
    assert status_code_param(edit, raw) == (400, code, param)


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (
            body(text("prompt", "p"), file("image", image()), file("image[]", image())),
            "invalid_value",
            "image",
        ),
        (
            body(text("prompt", "p"), text("prompt", "q"), file("image", image())),
            "duplicate_field",
            "prompt",
        ),
        (
            body(
                text("prompt", "p"),
                file("image", image()),
                file("mask", image()),
                file("mask", image()),
            ),
            "duplicate_field",
            "mask",
        ),
        (
            body(text("prompt", "p"), file("image", image()), file("thumbnail", image())),
            "unexpected_file",
            "thumbnail",
        ),
        (
            body(text("prompt", "p"), text("image", "https://example.com/a.png")),
            "invalid_value",
            "image",
        ),
        (
            body(text("prompt", "p"), file("image", image()), file("prompt", b"a file")),
            "unexpected_file",
            "prompt",
        ),
        (edit_body([image()], n="two"), "invalid_value", "n"),
        (edit_body([image()], n="2.5"), "invalid_value", "n"),
        (edit_body([image()], n="-1"), "invalid_value", "n"),
        (edit_body([image()], output_compression="101"), "invalid_value", "output_compression"),
        (edit_body([image()], user="u" * 257), "invalid_value", "user"),
        (edit_body([image()], stream="true"), "invalid_value", "stream"),
        (edit_body([image()], partial_images="2"), "invalid_value", "partial_images"),
        (edit_body([image()], **{f"x{i}": "1" for i in range(33)}), "invalid_value", "x32"),
    ],
)
def test_form_shape_refusals(raw, code, param):
    assert status_code_param(edit, raw) == (400, code, param)


def test_variation_takes_no_mask():
    raw = body(file("image", image()), file("mask", image()))
    assert status_code_param(variation, raw) == (400, "unexpected_file", "mask")
