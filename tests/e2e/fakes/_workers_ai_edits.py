"""Checks of the fake Workers AI for the Stable Diffusion 1.5 edit models' inputs.

As their catalogue schemas say (stable-diffusion-v1-5-inpainting.json, -img2img.json):
``image`` is an array of 0-255 integers or ``image_b64`` a base64 string, of an image
file; ``mask`` an array of 0-255 integers of an image file; ``strength`` a number. The
fake also insists on what a run needs to mean anything: an input image for both, a mask
for inpainting and not for img2img, a mask the image's size (both read from PNG/JPEG
headers). Stdlib only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ._recraft_edits import dimensions

INPAINTING = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img"
MODELS = (INPAINTING, IMG2IMG)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def _file(value: Any, where: str) -> tuple[bytes | None, str | None]:
    """``image_b64`` is a base64 string; ``image`` and ``mask`` arrays of 0-255 integers."""
    if where == "image_b64":
        try:
            data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
        except (binascii.Error, ValueError):
            data = None
        if data is None:
            return None, "value at '/image_b64' must be a base64 string"
    elif isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value
    ):
        data = bytes(value)
    else:
        return None, f"value at '/{where}' must be an array of integers 0-255"
    if not data.startswith(_IMAGE_MAGIC):
        return None, f"value at '/{where}' is not a PNG or JPEG image"
    return data, None


def check(model: str, body: dict[str, Any]) -> str | None:
    if "image" in body and "image_b64" in body:
        return "send one of 'image' and 'image_b64'"
    where = "image_b64" if "image_b64" in body else "image"
    if where not in body:
        return f"{model} needs an input image ('image' or 'image_b64')"
    image, problem = _file(body[where], where)
    if problem:
        return problem
    if (model == INPAINTING) != ("mask" in body):
        return "a mask is required by inpainting and not taken by img2img"
    if "mask" in body:
        mask, problem = _file(body["mask"], "mask")
        if problem:
            return problem
        if dimensions(mask) != dimensions(image):
            return "the mask must be the size of the image"
    strength = body.get("strength", 1)
    if (
        isinstance(strength, bool)
        or not isinstance(strength, int | float)
        or not 0 <= strength <= 1
    ):
        return "value at '/strength' must be >= 0 and <= 1"
    return None
