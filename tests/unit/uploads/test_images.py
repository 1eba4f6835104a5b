"""Pillow's reading of uploads: format by the bytes, header-only dimensions, bombs,
truncated and corrupt files, alpha."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFile

from gateway.uploads import UploadLimits

from .bodies import body, edit, file, image, png_header, refusal, text


def _mpo() -> bytes:
    frame = Image.new("RGB", (40, 30))
    return image("MPO", (40, 30), "RGB", save_all=True, append_images=[frame])


def _one(data: bytes, **kw):
    """Edit a single image as gpt-image-1 (which takes all three formats)."""
    return body(text("model", "gpt-image-1"), text("prompt", "p"), file("image", data, **kw))


def _error(raw, **kw):
    status, error = refusal(edit, raw, **kw)
    return status, error["code"], error["param"], error["message"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image("PNG", (40, 30), "RGBA"), ("png", 40, 30, True)),
        (image("PNG", (40, 30), "RGB"), ("png", 40, 30, False)),
        (image("PNG", (40, 30), "LA"), ("png", 40, 30, True)),
        (image("PNG", (40, 30), "P", transparency=3), ("png", 40, 30, True)),
        (image("PNG", (40, 30), "L"), ("png", 40, 30, False)),
        (image("JPEG", (40, 30), "RGB"), ("jpeg", 40, 30, False)),
        (image("WEBP", (40, 30), "RGBA"), ("webp", 40, 30, True)),
        (image("WEBP", (40, 30), "RGB"), ("webp", 40, 30, False)),
        (_mpo(), ("jpeg", 40, 30, False)),  # a phone's multi-picture JPEG
    ],
)
def test_format_dimensions_and_alpha_come_from_the_bytes(data, expected):
    with edit(_one(data)) as request:
        upload = request.images[0]
        assert (upload.format, upload.width, upload.height, upload.has_alpha) == expected


def test_filename_and_declared_type_are_not_trusted():
    data = image("PNG", (20, 20))
    with edit(_one(data, filename="photo.jpg", ctype="image/jpeg")) as request:
        upload = request.images[0]
        assert (upload.format, upload.filename, upload.content_type) == (
            "png",
            "photo.jpg",
            "image/jpeg",
        )


@pytest.mark.parametrize(
    "data",
    [
        image("GIF", (20, 20), "P"),
        image("BMP", (20, 20), "RGB"),
        image("TIFF", (20, 20), "RGB"),
        b"%PDF-1.7 not an image",
        b"",
    ],
)
def test_other_formats_and_non_images_are_400_even_named_png(data):
    assert _error(_one(data)) == (
        400,
        "invalid_image",
        "image",
        "The file in 'image' is not a PNG, JPEG or WEBP image.",
    )


def _corrupt_crc(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 6  # a byte inside the compressed pixels
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


PNG = image("PNG", (64, 64), "RGB")
JPEG = image("JPEG", (64, 64), "RGB")
WEBP = image("WEBP", (64, 64), "RGB")


@pytest.mark.parametrize(
    "data",
    [
        PNG[: len(PNG) // 2],  # cut inside IDAT
        PNG[: PNG.index(b"IEND") - 4],  # every pixel, no IEND
        _corrupt_crc(PNG),
        JPEG[:100],  # cut before the frame header
        WEBP[: len(WEBP) - 10],
        WEBP[:40],
    ],
)
def test_truncated_or_corrupt_images_are_400(data):
    assert _error(_one(data)) == (
        400,
        "invalid_image",
        "image",
        "The image in 'image' is truncated or corrupt.",
    )


def test_the_failing_image_of_several_is_named():
    raw = body(
        text("prompt", "p"),
        file("image[]", PNG),
        file("image[]", JPEG),
        file("image[]", PNG[:50]),
    )
    assert _error(raw)[:3] == (400, "invalid_image", "image[2]")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image is decoded to pixels."""

    def refuse(self):
        raise AssertionError("an image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_an_image_bomb_is_refused_from_its_header_without_decoding(no_decoding):
    bomb = png_header(100_000, 100_000)
    assert len(bomb) < 64
    status, code, param, message = _error(_one(bomb))
    assert (status, code, param) == (400, "image_too_large", "image")
    assert message == (
        "The image in 'image' declares too many pixels; the gateway takes at most 67108864 pixels."
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(9000, 9000), (10_000, 10_000)],  # under and over Pillow's own warning (89.5 M)
)
def test_an_image_over_the_pixel_cap_is_refused_without_decoding(no_decoding, width, height):
    assert _error(_one(png_header(width, height)))[:3] == (400, "image_too_large", "image")


def test_the_pixel_cap_is_a_parameter(no_decoding):
    limits = UploadLimits(max_pixels=1000)
    assert _error(_one(image("PNG", (40, 30))), limits=limits) == (
        400,
        "image_too_large",
        "image",
        "The image in 'image' declares 40x30 pixels; the gateway takes at most 1000 pixels.",
    )


def test_a_mask_bomb_is_named_mask(no_decoding):
    raw = body(
        text("prompt", "p"),
        file("image", image("PNG", (64, 64))),
        file("mask", png_header(70_000, 70_000)),
    )
    assert _error(raw)[:3] == (400, "image_too_large", "mask")


def test_a_valid_png_is_checked_without_decoding(no_decoding):
    with edit(_one(image("PNG", (300, 300)))) as request:
        assert request.images[0].width == 300
