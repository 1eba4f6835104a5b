"""The cost of a request: images counted from the answer, price x images, dollars."""

from __future__ import annotations

import pytest

from gateway import providers
from gateway.cost import as_made, cost, dollars, images_in, price_made
from gateway.models import GeneratedImage, ImageRequest, ImageResult


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


def gpt_image(size: str = "1024x1024", quality: str = "auto") -> ImageRequest:
    return ImageRequest({}, b"{}", "gpt-image-1", "p", 1, size, quality, None, "b64_json")


@pytest.mark.parametrize(
    ("body", "made"),
    [
        (
            b'{"created":1,"data":[{"b64_json":"iVBOR"}],"background":"opaque",'
            b'"quality":"low","size":"1536x1024","usage":{"total_tokens":9}}',
            ("1536x1024", "low"),
        ),
        (b'{"quality" : "medium", "data": [{"b64_json": "iVBOR"}]}', ("1024x1024", "medium")),
        # Escaped inside a string: not the answer's own keys.
        (b'{"data":[{"b64_json":"iVBOR","revised_prompt":"\\"quality\\":\\"low\\""}]}', None),
        # A value named like the key is passed over for the key before it.
        (
            b'{"quality":"high","data":[{"b64_json":"iVBOR","revised_prompt":"quality"}]}',
            ("1024x1024", "high"),
        ),
        (b'{"data":[{"b64_json":"iVBOR"}],"quality":12}', None),
        (b'{"data":[{"b64_json":"iVBOR"}]}', None),
    ],
)
def test_what_was_made_is_read_cheaply_from_a_passed_through_body(body, made):
    asked = gpt_image()
    found = as_made(asked, ImageResult(200, body))
    if made is None:
        assert found is asked
    else:
        assert (found.size, found.quality) == made


def test_what_was_made_comes_with_a_parsed_answer():
    result = ImageResult(200, images=(GeneratedImage(b64_json="iVBOR"),), quality="low")
    made = as_made(gpt_image(size="auto"), result)
    assert (made.size, made.quality) == ("auto", "low")


@pytest.mark.parametrize(
    ("result", "price"),
    [
        (ImageResult(200, b'{"data":[],"size":"1024x1536","quality":"medium"}'), 63_000),
        # Nothing said: the price as asked, the dearest choice for quality auto.
        (ImageResult(200, b'{"data":[]}'), 167_000),
        # What the answer says has no price: the price as asked stands.
        (ImageResult(200, b'{"data":[],"quality":"ultra"}'), 167_000),
    ],
)
def test_the_price_is_that_of_what_was_made(result, price):
    assert price_made(providers.get("openai").price, gpt_image(), result) == price


def test_an_outlined_body_is_not_searched_again():
    # The body says otherwise: what its outline found when it was checked counts.
    body = b'{"data":[{"url":"a"},{"url":"b"}],"size":"1024x1536","quality":"high"}'
    result = ImageResult(200, body, size="1536x1024", quality="low", body_images=3)
    assert images_in(result, asked=2) == 2  # capped at n, as a searched body is
    assert images_in(result, asked=5) == 3
    made = as_made(gpt_image(size="auto"), result)
    assert (made.size, made.quality) == ("1536x1024", "low")
    unsaid = as_made(gpt_image(), ImageResult(200, body, body_images=2))
    assert unsaid == gpt_image()
