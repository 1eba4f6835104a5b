"""OpenAI's edit mask turned into a white-means-edit one (Stability, Recraft, SD inpainting)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gateway.errors import GatewayError
from gateway.providers import masks
from tests.upload_images import encoded, rgb, upload, with_hole


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
