"""What an uploaded file is, read by Pillow from its bytes: format, dimensions, alpha.

The filename and the declared content type are never consulted. Only Pillow's PNG,
JPEG and WEBP readers are tried, so no other format's parser ever sees the bytes.
Nothing is decoded to pixels:

- the dimensions come from the header; more than ``max_pixels`` (an image bomb) is
  refused before anything else is read. Pillow's own ``DecompressionBombError`` (and
  its warning, when warnings are errors) is caught too, for the same answer;
- PNG: ``verify()`` walks every chunk to IEND and checks each CRC, so a truncated or
  corrupt file is refused without inflating its pixels;
- WEBP: libwebp's demuxer parses the whole container when Pillow opens it, so a
  truncated file fails there;
- JPEG: only the headers up to the frame are read. A JPEG cut inside its scan data
  passes: finding that out means decoding it (1.5 to 5 s of CPU for a 35 MB photo at
  1/8 scale), and the provider refuses such a file itself.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ..errors import InvalidImage
from .errors import ImageTooLarge
from .spool import Spool

# Pillow's format names -> ours. MPO is how Pillow names a multi-picture JPEG (phones).
FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp"}
OPENERS = ("PNG", "JPEG", "WEBP")
# Modes with an alpha band; palette and grey images carry it as "transparency" (tRNS).
ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, struct.error)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # "png", "jpeg", "webp"
    width: int
    height: int
    has_alpha: bool


def inspect(spool: Spool, *, param: str, max_pixels: int) -> ImageInfo:
    """The image in ``spool``, or a 400 that names its field (``param``: "image[2]")."""
    source = spool.path if spool.path is not None else io.BytesIO(spool.data or b"")
    try:
        with Image.open(source, formats=OPENERS) as image:
            info = _header(image, param, max_pixels)
            if info.format == "png":
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(param, max_pixels) from None
    except UnidentifiedImageError:
        raise InvalidImage(
            f"The file in '{param}' is not a PNG, JPEG or WEBP image.", param=param
        ) from None
    except _BROKEN:
        raise InvalidImage(
            f"The image in '{param}' is truncated or corrupt.", param=param
        ) from None
    return info


def _header(image: Image.Image, param: str, max_pixels: int) -> ImageInfo:
    width, height = image.size
    if width * height > max_pixels:
        raise _bomb(param, max_pixels, width, height)
    has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
    return ImageInfo(FORMATS[str(image.format)], width, height, has_alpha)


def _bomb(param: str, max_pixels: int, width: int = 0, height: int = 0) -> ImageTooLarge:
    size = f" declares {width}x{height} pixels" if width else " declares too many pixels"
    return ImageTooLarge(
        f"The image in '{param}'{size}; the gateway takes at most {max_pixels} pixels.",
        param=param,
    )
