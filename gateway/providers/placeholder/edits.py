"""The placeholder's edits and variations: drawn locally from the input image. Pure: no IO.

So that a team can try ``/v1/images/edits`` and ``/v1/images/variations`` (and the
README's ``curl -F`` examples run) without a provider account. The first image, at the
size asked for (``auto``: its own, within the placeholder's bounds), gets the prompt's
gradient where OpenAI's rules say to edit: the mask's transparent pixels, else the
image's own (dall-e-2's rule), else all of it, half blended. A variation blends a
gradient of its index over a third of the image. Same inputs, same images.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

from ...models import EDITS, GeneratedImage, ImageRequest, ImageResult, Upload
from .. import masks, sizes
from .capabilities import MAX_SIDE, MIN_SIDE


def answer(request: ImageRequest, draw_gradient: Callable[[int, int, int], bytes]) -> ImageResult:
    """The edit or variation's images; ``draw_gradient(w, h, index)`` gives PNG bytes."""
    first = request.images[0]
    width, height = _size(request, first)
    base = masks.decoded(first).convert("RGB").resize((width, height))
    area = _area(request, first, (width, height))
    images = []
    for index in range(request.n):
        gradient = _decoded_bytes(draw_gradient(width, height, index)).convert("RGB")
        if area is None:  # a variation: a light touch of its own colours
            out = Image.blend(base, gradient, 0.33)
        else:
            out = Image.composite(gradient, base, area)
        images.append(GeneratedImage(data=_png(out)))
    return ImageResult(200, images=tuple(images))


def _size(request: ImageRequest, first: Upload) -> tuple[int, int]:
    parsed = sizes.parse(request.size)
    if parsed is not None:
        return parsed
    return (
        min(max(first.width, MIN_SIDE), MAX_SIDE),
        min(max(first.height, MIN_SIDE), MAX_SIDE),
    )


def _area(request: ImageRequest, first: Upload, size: tuple[int, int]) -> Image.Image | None:
    """Where the gradient goes (255: all of it), or None for a variation."""
    if request.operation != EDITS:
        return None
    source = request.mask or (first if first.has_alpha else None)
    if source is None:
        return Image.new("L", size, 128)  # no mask, no transparency: the whole image
    alpha = masks.decoded(source).convert("RGBA").getchannel("A").resize(size)
    return alpha.point(lambda a: 255 if a == 0 else 0)


def _decoded_bytes(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
