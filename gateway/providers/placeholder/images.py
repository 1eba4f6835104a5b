"""Draws a PNG per requested image, without any network. Pure: no IO.

For demos, for teams testing their integration without paying a provider, and for
load tests of the gateway itself. Each image is a horizontal gradient between two
colours taken from a hash of the prompt and the image's index, so the same request
always gives the same images and different prompts look different. Every row is
the same, so rows after the first use PNG's "Up" filter and compress to almost
nothing: a 2048x2048 image costs milliseconds.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib

from ...errors import InvalidRequest
from ...models import (
    GENERATIONS,
    GeneratedImage,
    ImageRequest,
    ImageResult,
    ProviderCall,
    ProviderReply,
    Target,
)
from .. import sizes
from . import edits
from .capabilities import MAX_SIDE, MIN_SIDE

NAME = "placeholder"


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.lru_cache(maxsize=64)
def draw(width: int, height: int, left: bytes, right: bytes) -> bytes:
    """An RGB PNG fading from ``left`` to ``right`` (3-byte colours) across its width."""
    row = bytearray()
    span = max(width - 1, 1)
    for x in range(width):
        row += bytes(a + (b - a) * x // span for a, b in zip(left, right, strict=True))
    first = b"\x00" + bytes(row)
    same = b"\x02" + bytes(3 * width)  # filter Up: identical to the row above
    raw = first + same * (height - 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 1))
        + _chunk(b"IEND", b"")
    )


def _colours(prompt: str, index: int) -> tuple[bytes, bytes]:
    digest = hashlib.sha256(f"{index}\0{prompt}".encode()).digest()
    return digest[:3], digest[3:6]


def generate(request: ImageRequest, target: Target) -> ImageResult:
    """Every route's answer: a generation draws gradients, an edit or variation draws
    over the input image (``edits``)."""
    width, height = sizes.parse(request.size) or (1024, 1024)
    for side, value in (("width", width), ("height", height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            raise InvalidRequest(
                f"'size' {side} must be {MIN_SIDE} to {MAX_SIDE} pixels for the placeholder.",
                param="size",
            )
    if request.operation != GENERATIONS:
        return edits.answer(request, lambda w, h, i: draw(w, h, *_colours(request.prompt, i)))
    images = tuple(
        GeneratedImage(data=draw(width, height, *_colours(request.prompt, i)))
        for i in range(request.n)
    )
    return ImageResult(200, images=images)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    raise AssertionError("the placeholder answers locally; it never builds an HTTP call")


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    raise AssertionError("the placeholder answers locally; it never gets an HTTP reply")
