"""Factories for upload tests: images made with Pillow, multipart bodies built by hand
(so a test can break them on purpose), and the readers called on them."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from PIL import Image

from gateway.errors import GatewayError
from gateway.uploads import UploadLimits, read_edit, read_variation

BOUNDARY = "gw-test-boundary-7d1f"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def image(
    fmt: str = "PNG", size: tuple[int, int] = (64, 64), mode: str = "RGBA", **kw: Any
) -> bytes:
    """A small image; ``mode="RGB"`` has no alpha channel."""
    out = io.BytesIO()
    Image.new(mode, size, color=_color(mode)).save(out, fmt, **kw)
    return out.getvalue()


def _color(mode: str) -> Any:
    return {"RGBA": (200, 30, 30, 0), "RGB": (200, 30, 30), "L": 128, "P": 3, "LA": (9, 0)}[mode]


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only a signature and an IHDR declaring ``width`` x ``height``:
    a few dozen bytes that claim an enormous image (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def text(name: str, value: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
    ).encode()


def file(name: str, data: bytes, filename: str = "photo.png", ctype: str = "image/png") -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def body(*parts: bytes, end: bool = True) -> bytes:
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


def edit_body(images: Sequence[bytes] = (), *, field: str = "image[]", **fields: str) -> bytes:
    fields.setdefault("prompt", "a red fox in the snow")
    parts = [text(k, v) for k, v in fields.items()]
    parts += [file(field, data, f"in{i}.png") for i, data in enumerate(images)]
    return body(*parts)


@contextmanager
def edit(raw: bytes, limits: UploadLimits | None = None, **kw: Any) -> Iterator[Any]:
    kw.setdefault("content_type", CONTENT_TYPE)
    kw.setdefault("content_length", len(raw))
    with read_edit(io.BytesIO(raw), limits=limits or UploadLimits(), **kw) as request:
        yield request


@contextmanager
def variation(raw: bytes, limits: UploadLimits | None = None, **kw: Any) -> Iterator[Any]:
    kw.setdefault("content_type", CONTENT_TYPE)
    kw.setdefault("content_length", len(raw))
    with read_variation(io.BytesIO(raw), limits=limits or UploadLimits(), **kw) as request:
        yield request


def refusal(reader: Any, raw: bytes, **kw: Any) -> tuple[int, dict[str, Any]]:
    """The status and OpenAI-shaped body of the error ``reader`` raises on ``raw``."""
    with pytest.raises(GatewayError) as caught, reader(raw, **kw):
        pass
    return caught.value.status, caught.value.to_body()["error"]


def status_code_param(reader: Any, raw: bytes, **kw: Any) -> tuple[int, str, str | None]:
    status, error = refusal(reader, raw, **kw)
    assert error["type"] == "invalid_request_error"
    return status, error["code"], error["param"]
