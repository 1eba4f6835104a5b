"""Input images and masks for Titan's and Nova Canvas's editing tasks. Pure: no IO.

Both take base64 PNG or JPEG in the JSON body, 8 bits per RGB channel; Nova Canvas
takes a PNG with an alpha channel only if no pixel is (semi-)transparent. So an image
that is not an RGB PNG or JPEG (a WEBP, a PNG with alpha, greyscale, a palette) is
re-encoded as an RGB PNG, transparent pixels laid on white; any other is sent as is.
Masks are pure black and white, black (0, 0, 0) marking the area to change for
INPAINTING and white the area to change for OUTPAINTING (what lies outside the region
the mask keeps); OpenAI's mask (alpha 0 = edit here) is turned into that form with
``masks.edit_area``, at the size of the image. Limits, checked before anything is read:

- Titan Image Generator: an input image of at most 5 MB
  (https://docs.aws.amazon.com/bedrock/latest/userguide/titan-image-models.html, read
  2026-12-06), at most 1,408 pixels a side for in- and outpainting and 4,096 for image
  variation (the same model card's next entries, as we recall them: the copy we read
  was cut after the 5 MB line, so these two are the least certain figures here).
- Nova Canvas: sides of 320 to 4,096 pixels, the long side at most 4 times the short
  one, at most 4,194,304 pixels; unlike a generated size, an input side need not be a
  multiple of 16 (https://docs.aws.amazon.com/nova/latest/userguide/image-gen-access.html,
  "Input images for image generation", read 2026-12-06).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace

from PIL import Image

from ...errors import InvalidRequest
from ...models import Upload
from .. import masks
from .capabilities import NOVA_MAX_PIXELS, NOVA_SIDES, base_model, is_nova

MIB = 1024 * 1024
PASSED = ("png", "jpeg")  # sent unchanged when 8-bit RGB


@dataclass(frozen=True)
class InputLimits:
    model: str  # how refusals name the family
    max_side: int
    min_side: int = 1
    max_bytes: int | None = None  # of what is sent, after any conversion
    max_ratio: float | None = None
    max_pixels: int | None = None


TITAN_PAINTING = InputLimits("Titan Image Generator", max_side=1408, max_bytes=5 * MIB)
TITAN_VARIATION = replace(TITAN_PAINTING, max_side=4096)
NOVA = InputLimits(
    "Nova Canvas",
    min_side=NOVA_SIDES[0],
    max_side=NOVA_SIDES[1],
    max_ratio=4.0,
    max_pixels=NOVA_MAX_PIXELS,
)


def limits(model: str, painting: bool) -> InputLimits | None:
    """The model's input limits; None for an id that names no known family (an ARN)."""
    if is_nova(model):
        return NOVA
    if base_model(model).startswith("amazon.titan-image-generator"):
        return TITAN_PAINTING if painting else TITAN_VARIATION
    return None


def check(upload: Upload, rules: InputLimits | None) -> None:
    """Its dimensions (and, sent unchanged, its bytes): a 400 naming the field."""
    if rules is None:
        return
    width, height = upload.width, upload.height
    what = f"'{upload.param}' is {width}x{height};"
    if not rules.min_side <= min(width, height) or max(width, height) > rules.max_side:
        raise _refused(upload, f"{what} {rules.model} takes {_sides(rules)}.")
    if rules.max_ratio is not None and max(width, height) > rules.max_ratio * min(width, height):
        raise _refused(
            upload,
            f"{what} {rules.model} takes a long side at most {rules.max_ratio:g} times the "
            "short one.",
        )
    if rules.max_pixels is not None and width * height > rules.max_pixels:
        raise _refused(upload, f"{what} {rules.model} takes at most {rules.max_pixels:,} pixels.")
    passed = upload.format in PASSED and not upload.has_alpha
    if rules.max_bytes is not None and passed and upload.size > rules.max_bytes:
        raise _too_big(upload, upload.size, rules)


def image_b64(upload: Upload, rules: InputLimits | None) -> str:
    """The image as the model takes it, base64: its own bytes when they are an 8-bit
    RGB PNG or JPEG, else an RGB PNG (a WEBP, alpha, greyscale or palette image)."""
    data = upload.read()
    image = masks.decoded(upload)  # every pixel, even when the bytes are sent as they are
    if upload.format not in PASSED or image.mode != "RGB" or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        data = masks.png(flat.convert("RGB"))
    if rules is not None and rules.max_bytes is not None and len(data) > rules.max_bytes:
        raise _too_big(upload, len(data), rules)
    return base64.b64encode(data).decode("ascii")


def mask_b64(source: Upload, image: Upload, *, outpainting: bool) -> str | None:
    """``source``'s transparent pixels (OpenAI's edit area) as a black-and-white mask the
    size of ``image``, base64; None when ``source`` has no fully transparent pixel."""
    edit = masks.WHITE if outpainting else masks.BLACK
    area = masks.edit_area(source, edit=edit, size=(image.width, image.height))
    if area is None:
        return None
    return base64.b64encode(masks.png(area.convert("RGB"))).decode("ascii")


def _sides(rules: InputLimits) -> str:
    if rules.min_side > 1:
        return f"sides of {rules.min_side} to {rules.max_side} pixels"
    return f"sides of at most {rules.max_side} pixels"


def _too_big(upload: Upload, size: int, rules: InputLimits) -> InvalidRequest:
    limit = (rules.max_bytes or 0) // MIB
    return _refused(
        upload, f"'{upload.param}' is {size:,} bytes as sent; {rules.model} takes {limit} MB."
    )


def _refused(upload: Upload, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=upload.param)
