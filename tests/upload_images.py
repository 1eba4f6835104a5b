"""Small images and the ``Upload`` records the reader would make of them, for the
provider edit tests: the same Pillow-read facts (format, size, alpha, SHA-256) the
gateway's upload checks produce, without going through a form."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import Image

from gateway.models import Upload

GREEN = (10, 120, 30)


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, param: str = "image", size: int | None = None) -> Upload:
    """``size`` overrides the byte count, to test a provider's limit without big files."""
    with Image.open(io.BytesIO(data)) as image:
        fmt, dims, alpha = image.format.lower(), image.size, "A" in image.getbands()
    return Upload(
        param=param,
        format=fmt,
        width=dims[0],
        height=dims[1],
        has_alpha=alpha,
        size=len(data) if size is None else size,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def rgb(size=(400, 320), fmt="PNG", colour=GREEN) -> bytes:
    return encoded(Image.new("RGB", size, colour), fmt)


def with_hole(size=(400, 320), box=(0, 0, 200, 160), alpha=0) -> bytes:
    """RGBA, opaque but for ``box`` (alpha ``alpha``): OpenAI's way to mark an edit area."""
    image = Image.new("RGBA", size, (*GREEN, 255))
    image.paste((0, 0, 0, alpha), box)
    return encoded(image)


def short_pixels_png(size=(64, 64)) -> bytes:
    """A PNG whose chunks are all well formed (right lengths and CRCs) but whose
    compressed pixel stream stops halfway: its header and checksums pass the upload
    checks, and only decoding the pixels finds it truncated."""
    whole = encoded(Image.new("RGBA", size, (*GREEN, 0)))
    start = whole.index(b"IDAT") - 4
    length = struct.unpack(">I", whole[start : start + 4])[0]
    data = whole[start + 8 : start + 8 + length][: length // 2]
    chunk = b"IDAT" + data
    idat = struct.pack(">I", len(data)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return whole[:start] + idat + whole[start + 12 + length :]
