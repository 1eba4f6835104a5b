"""OpenAI's edit mask turned into a white-means-edit one (Stability, Recraft, SD inpainting)."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from gateway.errors import GatewayError
from gateway.providers import masks
from tests.upload_images import encoded, rgb, short_pixels_png, upload, with_hole


def grey_pixels(png: bytes) -> tuple[tuple[int, int], dict[int, int]]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "L"
        counts = {value: n for n, value in image.getcolors()}
        return image.size, counts


def test_openai_mask_becomes_white_where_transparent_at_the_image_size():
    image = upload(rgb((400, 320)))
    mask = upload(with_hole((200, 160), box=(0, 0, 100, 80)), "mask")
    area = masks.white_means_edit(mask, image)
    size, counts = grey_pixels(area)
    assert size == (400, 320)  # scaled to the image, nearest neighbour
    assert counts == {masks.WHITE: 200 * 160, masks.BLACK: 400 * 320 - 200 * 160}


def test_without_fit_the_converted_mask_keeps_its_own_size():
    mask = upload(with_hole((200, 160), box=(0, 0, 100, 80)), "mask")
    size, counts = grey_pixels(masks.white_means_edit(mask, upload(rgb()), fit=False))
    assert size == (200, 160)
    assert counts[masks.WHITE] == 100 * 80


def test_no_mask_uses_the_image_transparency_and_an_opaque_image_means_no_area():
    size, counts = grey_pixels(masks.white_means_edit(None, upload(with_hole())))
    assert (size, counts[masks.WHITE]) == ((400, 320), 200 * 160)
    assert masks.white_means_edit(None, upload(rgb())) is None
    assert masks.white_means_edit(None, upload(with_hole(alpha=255))) is None


def test_a_mask_without_alpha_is_the_provider_kind_and_passes_as_sent():
    own = upload(encoded(Image.new("L", (400, 320), 255)), "mask")
    assert masks.white_means_edit(own, upload(rgb())) is own


def test_a_mask_without_alpha_of_another_size_is_refused_when_it_must_fit():
    own = upload(encoded(Image.new("L", (200, 160), 255)), "mask")
    with pytest.raises(GatewayError) as raised:
        masks.white_means_edit(own, upload(rgb()), name="Recraft")
    assert (raised.value.status, raised.value.param) == (400, "mask")
    assert str(raised.value) == (
        "The mask is 200x160; Recraft needs it exactly the image's size (400x320)."
    )
    assert masks.white_means_edit(own, upload(rgb()), fit=False) is own


def test_a_mask_file_that_marks_nothing_is_refused():
    with pytest.raises(GatewayError) as raised:
        masks.white_means_edit(upload(with_hole(alpha=255), "mask"), upload(rgb()))
    assert raised.value.param == "mask"
    assert "marks nothing to edit" in str(raised.value)


def test_pixel_data_cut_short_is_a_400_naming_the_field_not_a_500():
    broken = upload(short_pixels_png(), "mask")
    with pytest.raises(GatewayError) as raised:
        masks.white_means_edit(broken, upload(rgb((64, 64))))
    assert (raised.value.status, raised.value.code, raised.value.param) == (
        400,
        "invalid_image",
        "mask",
    )
    assert str(raised.value) == "The image in 'mask' is truncated or corrupt."


def test_a_cmyk_jpeg_becomes_an_rgb_png():
    cmyk = upload(encoded(Image.new("CMYK", (16, 8), (0, 255, 255, 0)), "JPEG"), "mask")
    with Image.open(io.BytesIO(masks.as_png(cmyk))) as png:
        assert (png.format, png.mode, png.size) == ("PNG", "RGB", (16, 8))


def test_an_image_over_the_decode_budget_is_refused_before_it_is_decoded():
    """Its header says 5000x4000: refused from the Upload's recorded size, no pixels read."""

    huge = dataclasses.replace(upload(with_hole(), "mask"), width=5000, height=4000, data=b"")
    with pytest.raises(GatewayError) as raised:
        masks.white_means_edit(huge, upload(rgb()))
    assert (raised.value.status, raised.value.param) == (400, "mask")
    assert str(raised.value) == (
        "The image in 'mask' is 5000x4000; this provider's edits take at most "
        "16,777,216 pixels through the gateway."
    )
