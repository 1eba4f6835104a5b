"""Fake of Recraft's image tools that take uploads: inpaint, imageToImage, variateImage.

Checks the multipart form as Recraft documents it (tools/inpainting, tools/image-to-image,
tools/remix and the OpenAPI document): known flat fields only, one ``image`` file that is
PNG/JPEG/WEBP under 10 MB with sides 256-4096, a ``mask`` for inpaint that is a
greyscale image of exactly the image's size holding only 0 and 255, ``strength`` 0-1
(required) for imageToImage, ``size`` (required, one of Recraft's) for variateImage,
``n`` 1-6. Answers like generations; errors are Recraft's ``{"code", "message"}``.
Stdlib only: sizes are read from PNG and JPEG headers (a WEBP's is not checked) and the
mask's pixels only when it is an 8-bit greyscale PNG (what the gateway sends).
"""

from __future__ import annotations

import struct
import zlib

from .. import fake_multipart
from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply

PATHS = ("/v1/images/inpaint", "/v1/images/imageToImage", "/v1/images/variateImage")
_TRANSFORM = {
    "prompt", "model", "n", "style", "style_id", "substyle", "negative_prompt",
    "response_format", "random_seed", "image_format", "block_nsfw", "expire",
}  # fmt: skip
FIELDS = {
    "/v1/images/inpaint": _TRANSFORM,
    "/v1/images/imageToImage": _TRANSFORM | {"strength"},
    "/v1/images/variateImage": {
        "size", "model", "n", "random_seed", "response_format", "image_format", "expire",
    },
}  # fmt: skip
SIZES = {"1024x1024", "1365x1024", "1024x1365", "1536x1024", "1024x1536", "1280x832", "2048x2048"}


def error(status: int, code: str, message: str) -> FakeReply:
    return json_reply(status, {"code": code, "message": message})


def handle(req: FakeRequest) -> FakeReply:
    try:
        form = fake_multipart.parse(req.headers.get("content-type", ""), req.body)
    except fake_multipart.MultipartError as exc:
        return error(400, "invalid_form", str(exc))
    problem = _problem(req.path, form)
    if problem is not None:
        return error(400, "invalid_parameter", problem)
    n = int(form.get("n") or 1)
    if form.get("response_format") == "b64_json":
        items = [{"image_id": f"edit-{i}", "b64_json": TINY_PNG_B64} for i in range(n)]
    else:
        items = [{"image_id": f"edit-{i}", "url": f"{req.base}/files/{i}.png"} for i in range(n)]
    return json_reply(200, {"created": CREATED, "credits": 40 * n, "data": items})


def _problem(path: str, form: fake_multipart.Form) -> str | None:
    names = {name for name, _ in form.fields}
    for name in sorted(names - FIELDS[path]):
        return f"unknown parameter '{name}'"
    files = {f.name for f in form.files}
    wanted = {"image", "mask"} if path.endswith("inpaint") else {"image"}
    if files != wanted or len(form.files) != len(wanted):
        return f"expected files {sorted(wanted)}, got {[f.name for f in form.files]}"
    image = form.file("image")
    size = dimensions(image.data)
    if image.format not in ("png", "jpeg", "webp") or image.size >= 10 * 1024 * 1024:
        return "image must be PNG, JPG or WEBP under 10 MB"
    if size is not None and not all(256 <= side <= 4096 for side in size):
        return "image sides must be between 256 and 4096"
    return _field_problem(path, form) or _mask_problem(path, form, size)


def _field_problem(path: str, form: fake_multipart.Form) -> str | None:
    if not path.endswith("variateImage") and not form.get("prompt"):
        return "prompt is required"
    if not 1 <= int(form.get("n") or 1) <= 6:
        return "n must be between 1 and 6"
    if form.get("response_format") not in (None, "url", "b64_json"):
        return "response_format must be url or b64_json"
    if path.endswith("imageToImage"):
        strength = form.get("strength")
        if strength is None or not 0 <= float(strength) <= 1:
            return "strength is required and must be between 0 and 1"
    if path.endswith("variateImage") and form.get("size") not in SIZES:
        return f"invalid size {form.get('size')!r}"
    return None


def _mask_problem(path: str, form: fake_multipart.Form, size) -> str | None:
    if not path.endswith("inpaint"):
        return None
    mask = form.file("mask")
    if size is not None and dimensions(mask.data) != size:
        return "mask must be exactly the size of the image"
    values = _grey_values(mask.data)
    if values is not None and not values <= {0, 255}:
        return "mask must hold only pure black (0) and pure white (255) pixels"
    return None


def dimensions(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    return None  # WEBP: not read by this fake


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """From the first start-of-frame segment (SOF0-SOF15 but DHT, JPG, DAC)."""
    pos = 2
    while pos + 9 < len(data) and data[pos] == 0xFF:
        marker, (length,) = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


def _grey_values(data: bytes) -> set[int] | None:
    """The pixel values of an 8-bit greyscale, non-interlaced PNG; None for other kinds."""
    if not data.startswith(b"\x89PNG"):
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if (depth, colour, interlace) != (8, 0, 0):
        return None
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    values: set[int] = set()
    previous = bytearray(width)
    for row in range(height):
        line = raw[row * (width + 1) : (row + 1) * (width + 1)]
        previous = _unfilter(line[0], bytearray(line[1:]), previous)
        values.update(previous)
    return values


def _unfilter(kind: int, line: bytearray, above: bytearray) -> bytearray:
    for i in range(len(line)):
        left = line[i - 1] if i else 0
        up, corner = above[i], above[i - 1] if i else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + pred) & 0xFF
    return line
