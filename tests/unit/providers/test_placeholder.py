"""The placeholder provider draws real PNGs locally."""

from __future__ import annotations

import struct
import zlib

import pytest

from gateway.errors import InvalidRequest
from gateway.models import Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.placeholder import PROVIDER
from gateway.providers.placeholder.images import draw

TARGET = Target(provider="placeholder", base_url=None, api_key="")


def generate(**body):
    request = resolve(PROVIDER.capabilities, {"prompt": "a cat", **body}, b"")
    return PROVIDER.local(request, TARGET)


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the unfiltered pixel rows of an 8-bit RGB PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    return width, height, zlib.decompress(chunks[b"IDAT"])


def test_registered_without_credentials_or_network():
    assert get("placeholder") is PROVIDER
    assert PROVIDER.credentials(None, {}) is None
    with pytest.raises(AssertionError):
        PROVIDER.build_call(None, TARGET)


def test_draws_n_pngs_of_the_requested_size():
    result = generate(n=3, size="320x200")
    assert (result.status, result.body, len(result.images)) == (200, b"", 3)
    for image in result.images:
        width, height, raw = decode_png(image.data)
        assert (width, height) == (320, 200)
        assert len(raw) == 200 * (1 + 320 * 3)
        assert raw[1 + 320 * 3] == 2  # rows after the first: filter Up, all zero
    assert len({image.data for image in result.images}) == 3


def test_same_prompt_same_images_other_prompt_other_images():
    assert generate().images == generate().images
    assert generate().images != generate(prompt="a dog").images


def test_gradient_runs_from_left_to_right_colour():
    width, _, raw = decode_png(draw(3, 2, b"\x00\x00\x00", b"\xff\x80\x10"))
    assert width == 3
    assert raw[: 1 + 9] == b"\x00" + b"\x00\x00\x00" + b"\x7f\x40\x08" + b"\xff\x80\x10"


@pytest.mark.parametrize("size", ["63x64", "2049x1024", "1024x4096"])
def test_sizes_outside_64_to_2048_are_refused_by_the_capability_table(size):
    with pytest.raises(InvalidRequest) as info:
        generate(size=size)
    assert info.value.param == "size"
    assert "each side must be 64 to 2048 pixels" in info.value.message


def test_auto_size_is_1024_square_and_n_above_10_is_refused():
    assert decode_png(generate(size="auto").images[0].data)[:2] == (1024, 1024)
    with pytest.raises(InvalidRequest):
        generate(n=11)
