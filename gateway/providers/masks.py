"""OpenAI's edit mask in the forms other providers take. Pure: no IO, no network.

OpenAI marks the area to edit with fully transparent pixels (alpha 0) of a PNG, the
mask or, for dall-e-2 without one, the image itself. Stability, Vertex AI's Imagen and
Amazon's Titan and Nova Canvas take a black-and-white image instead; which colour means
"edit here" is each provider's (their folders say which and where they read it).
Every input was checked by ``gateway.uploads`` (format, dimensions, no image bomb), so
decoding it here is bounded.
"""

from __future__ import annotations

import io

from PIL import Image

from ..models import Upload

WHITE, BLACK = 255, 0


def edit_area(source: Upload, *, edit: int = WHITE, size: tuple[int, int] | None = None) -> bytes:
    """A greyscale PNG the size of ``source`` (or ``size``): the pixels ``source`` marks
    for editing (alpha 0) in colour ``edit`` (``WHITE`` or ``BLACK``), the rest in the
    other one. A source without transparency marks nothing."""
    keep = BLACK if edit == WHITE else WHITE
    with Image.open(io.BytesIO(source.read())) as image:
        image.load()
        alpha = image.convert("RGBA").getchannel("A")
    area = alpha.point(lambda a: edit if a == 0 else keep)
    if size is not None and area.size != size:
        area = area.resize(size, Image.Resampling.NEAREST)
    out = io.BytesIO()
    area.save(out, format="PNG", optimize=False)
    return out.getvalue()


def as_png(upload: Upload) -> bytes:
    """``upload``'s bytes as PNG (unchanged when it is one): for providers that take PNG
    or JPEG only and a WEBP was sent."""
    if upload.format == "png":
        return upload.read()
    with Image.open(io.BytesIO(upload.read())) as image:
        image.load()
        out = io.BytesIO()
        image.save(out, format="PNG")
    return out.getvalue()
