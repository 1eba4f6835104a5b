"""The cost of a request: images counted from the answer, price x images, dollars."""

from __future__ import annotations

import pytest

from gateway.cost import cost, dollars, images_in
from gateway.models import GeneratedImage, ImageResult


def test_images_are_counted_from_a_parsed_answer():
    result = ImageResult(200, images=(GeneratedImage(url="https://a"), GeneratedImage(url="b")))
    assert images_in(result, asked=4) == 2


@pytest.mark.parametrize(
    ("body", "asked", "count"),
    [
        (b'{"created":1,"data":[{"url":"https://a"},{"url":"https://b"}]}', 2, 2),
        (b'{"created":1,"data":[{"b64_json":"iVBOR"},{"b64_json":"iVBOR"}]}', 3, 2),
        (b'{"data": [ {"url" : "https://a"} ]}', 1, 1),
        # A key inside a string is escaped: not an image.
        (b'{"data":[{"url":"https://a","revised_prompt":"say \\"url\\":\\"x\\""}]}', 5, 1),
        # One item with both forms counts once (capped at n).
        (b'{"data":[{"url":"https://a","b64_json":"iVBOR"}]}', 1, 1),
        (b'{"data":[]}', 1, 0),
    ],
)
def test_images_are_counted_cheaply_in_a_passed_through_body(body, asked, count):
    assert images_in(ImageResult(200, body), asked) == count


@pytest.mark.parametrize(
    ("price", "images", "status", "expected"),
    [
        (80_000, 1, "DISABLED", 80_000),
        (16_000, 3, "MISS", 48_000),
        (80_000, 1, "REFRESH", 80_000),
        (80_000, 1, "HIT", 0),
        (None, 1, "HIT", 0),
        (None, 2, "DISABLED", None),
        (0, 4, "DISABLED", 0),
    ],
)
def test_cost_is_price_times_images_free_on_a_hit_unknown_without_a_price(
    price, images, status, expected
):
    assert cost(price, images, status) == expected


@pytest.mark.parametrize(
    ("micro", "text"),
    [
        (0, "0.000000"),
        (80_000, "0.080000"),
        (1, "0.000001"),
        (12_345_678, "12.345678"),
        (-40_000, "-0.040000"),
    ],
)
def test_dollars_are_exact_with_six_decimals(micro, text):
    assert dollars(micro) == text
