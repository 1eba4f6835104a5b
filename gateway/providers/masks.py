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
import struct

from PIL import Image

from ..errors import InvalidImage, InvalidRequest
from ..models import Upload

# What Pillow raises on pixel data it cannot decode (as gateway.uploads.images catches).
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, struct.error)
# The most pixels a provider transform decodes (a mask converted, a WEBP made PNG, an
# image flattened): 4096 x 4096, 64 MiB as RGBA. Every provider that needs its inputs
# decoded takes fewer (Stability 9.4 MP, Nova Canvas 4.2 MP, Recraft 16 MP, SD 1.5 at
# most 2048 a side); the upload limit (GATEWAY_UPLOAD_MAX_PIXELS) is for bytes passed on.
MAX_DECODED_PIXELS = 4096 * 4096
# Modes a PNG cannot hold (a CMYK JPEG, say): converted to RGB first.
_NOT_PNG_MODES = frozenset({"CMYK", "YCbCr", "LAB", "HSV"})

WHITE, BLACK = 255, 0


def edit_area(
    source: Upload, *, edit: int = WHITE, size: tuple[int, int] | None = None
) -> Image.Image | None:
    """A greyscale image the size of ``source`` (or ``size``): the pixels ``source`` marks
    for editing (alpha 0) in colour ``edit`` (``WHITE`` or ``BLACK``), the rest in the
    other one; None when it marks nothing (no pixel fully transparent). Checked here, on
    the pixels, so no caller has to decode the PNG it is about to send."""
    keep = BLACK if edit == WHITE else WHITE
    alpha = decoded(source).convert("RGBA").getchannel("A")
    area = alpha.point(lambda a: edit if a == 0 else keep)
    if size is not None and area.size != size:
        area = area.resize(size, Image.Resampling.NEAREST)
    return area if edit in area.getextrema() else None


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def as_png(upload: Upload) -> bytes:
    """``upload``'s bytes as PNG (unchanged when it is one): for providers that take PNG
    or JPEG only and a WEBP was sent."""
    if upload.format == "png":
        return upload.read()
    image = decoded(upload)
    return png(image.convert("RGB") if image.mode in _NOT_PNG_MODES else image)


def decoded(upload: Upload) -> Image.Image:
    """``upload``'s pixels, loaded, or a 400 naming its field. The upload checks read
    the header and a PNG's chunk checksums, not every pixel, so a file cut inside its
    compressed pixel data is found only here, and must not become a 500."""
    if upload.width * upload.height > MAX_DECODED_PIXELS:
        raise InvalidRequest(
            f"The image in '{upload.param}' is {upload.width}x{upload.height}; this "
            f"provider's edits take at most {MAX_DECODED_PIXELS:,} pixels through the gateway.",
            param=upload.param,
        )
    try:
        image = Image.open(io.BytesIO(upload.read()))
        image.load()
    except _BROKEN:
        raise InvalidImage(
            f"The image in '{upload.param}' is truncated or corrupt.", param=upload.param
        ) from None
    return image


def part(mask: Upload | bytes) -> tuple[Upload | bytes, str, str]:
    """``(file, file name, content type)`` of a mask for a provider's form: a converted
    one is a PNG, one passed on keeps the type its bytes were read as."""
    if isinstance(mask, bytes):
        return mask, "mask.png", "image/png"
    return mask, f"mask.{mask.format}", mask.mime_type


def white_means_edit(
    mask: Upload | None, image: Upload, *, fit: bool = True, name: str = "the provider"
) -> Upload | bytes | None:
    """The mask for a provider whose masks are white where to edit (Stability, Recraft,
    Stable Diffusion inpainting), from OpenAI's form:

    - a ``mask`` without alpha is taken to be the provider's own black-and-white kind and
      returned as sent (an ``Upload``);
    - OpenAI's mask (alpha 0 = edit), or with no mask the image's own transparency
      (dall-e-2's rule), becomes a greyscale PNG, white where to edit (``bytes``);
    - ``None``: no area to edit (no mask and an opaque image), the caller's cue for a
      mask-free edit. A mask file that marks nothing is a 400.

    ``fit``: the provider needs the mask at the image's size, so a mask of another size
    sent as is is refused and a converted one is scaled to it.
    """
    size = (image.width, image.height)
    if mask is not None and not mask.has_alpha:
        if fit and (mask.width, mask.height) != size:
            raise InvalidRequest(
                f"The mask is {mask.width}x{mask.height}; {name} needs it exactly the "
                f"image's size ({image.width}x{image.height}).",
                param="mask",
            )
        return mask
    if mask is None and not image.has_alpha:
        return None
    area = edit_area(mask or image, edit=WHITE, size=size if fit else None)
    if area is not None:
        return png(area)
    if mask is not None:
        raise InvalidRequest(
            "The mask has no fully transparent pixel (alpha 0), so it marks nothing to edit.",
            param="mask",
        )
    return None  # an image with an alpha channel but every pixel opaque
