"""The editing tasks of the fake Bedrock's Titan Image Generator and Nova Canvas:
INPAINTING, OUTPAINTING and IMAGE_VARIATION, checked as their user guides describe them.

- Every image is base64 (strict) of a PNG or JPEG, 8 bits per RGB channel; a PNG may
  carry alpha only if no pixel is transparent or translucent (Nova Canvas's rule).
- In/outpainting: ``image`` and exactly one of ``maskImage`` / ``maskPrompt``; the mask
  is pure black and white, the size of the image; the output has the input's size, so
  no ``width``/``height`` is taken; ``outPaintingMode`` (outpainting) DEFAULT or PRECISE.
- IMAGE_VARIATION: ``images`` 1 to 5, ``similarityStrength`` 0.2 to 1.0, ``text`` optional.
- ``numberOfImages`` 1 to 5, ``quality`` standard or premium.

The answer's images are solid PNGs of the size the real model would make (the input's
for in/outpainting, else width x height or 1024x1024), so a test can check the mapping.
Pillow is imported lazily, as the signature check imports botocore.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from typing import Any

from . import FakeReply, json_reply

EDIT_TASKS = {
    "INPAINTING": "inPaintingParams",
    "OUTPAINTING": "outPaintingParams",
    "IMAGE_VARIATION": "imageVariationParams",
}
PAINTING_KEYS = {"image", "text", "negativeText", "maskImage", "maskPrompt"}
VARIATION_KEYS = {"images", "text", "negativeText", "similarityStrength"}
CONFIG_KEYS = {"numberOfImages", "quality", "cfgScale", "seed", "width", "height"}
REFUSED = "refused"
INPUT_DEFLECTION = (
    "This request has been blocked by our content filters. Please adjust your text prompt "
    "to submit a new request."
)
Error = Callable[[int, str, str], FakeReply]


class Invalid(Exception):
    """A request the real model refuses: AWS's 400 ``ValidationException`` message."""


def handle(body: dict[str, Any], error: Error) -> FakeReply:
    task_type = body["taskType"]
    key = EDIT_TASKS[task_type]
    try:
        _keys("#", body, {"taskType", key, "imageGenerationConfig"})
        fields = body.get(key)
        if not isinstance(fields, dict):
            raise Invalid(f"Malformed input request: #: required key [{key}] not found")
        config = body.get("imageGenerationConfig") or {}
        count = _config(config)
        if task_type == "IMAGE_VARIATION":
            size = _variation(fields, config)
        else:
            size = _painting(task_type, key, fields, config)
    except Invalid as problem:
        return error(400, "ValidationException", str(problem))
    if REFUSED in str(fields.get("text", "")):
        return error(400, "ValidationException", INPUT_DEFLECTION)
    return json_reply(200, {"images": [_solid_png(size)] * count, "error": None})


def _keys(where: str, value: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise Invalid(
            f"Malformed input request: {where}: extraneous key [{extra[0]}] is not permitted, "
            "please reformat your input and try again."
        )


def _config(config: dict[str, Any]) -> int:
    _keys("#/imageGenerationConfig", config, CONFIG_KEYS)
    count = config.get("numberOfImages", 1)
    if not isinstance(count, int) or not 1 <= count <= 5:
        raise Invalid("numberOfImages must be between 1 and 5")
    if config.get("quality", "standard") not in ("standard", "premium"):
        raise Invalid("quality must be standard or premium")
    if ("width" in config) != ("height" in config):
        raise Invalid("width and height must be given together")
    return count


def _painting(
    task_type: str, key: str, fields: dict[str, Any], config: dict[str, Any]
) -> tuple[int, int]:
    allowed = PAINTING_KEYS | ({"outPaintingMode"} if task_type == "OUTPAINTING" else set())
    _keys(f"#/{key}", fields, allowed)
    if "image" not in fields:
        raise Invalid(f"Malformed input request: #/{key}: required key [image] not found")
    if ("maskImage" in fields) == ("maskPrompt" in fields):
        raise Invalid(f"{key} takes exactly one of maskImage and maskPrompt")
    if fields.get("outPaintingMode", "DEFAULT") not in ("DEFAULT", "PRECISE"):
        raise Invalid("outPaintingMode must be DEFAULT or PRECISE")
    if "width" in config:
        raise Invalid(f"{task_type} keeps the input image's size: no width or height")
    size = _image(fields["image"], "image")
    if "maskImage" in fields:
        _mask(fields["maskImage"], size)
    return size


def _variation(fields: dict[str, Any], config: dict[str, Any]) -> tuple[int, int]:
    _keys("#/imageVariationParams", fields, VARIATION_KEYS)
    images = fields.get("images")
    if not isinstance(images, list) or not 1 <= len(images) <= 5:
        raise Invalid("imageVariationParams.images must hold 1 to 5 images")
    for index, image in enumerate(images):
        _image(image, f"images[{index}]")
    strength = fields.get("similarityStrength", 0.7)
    if isinstance(strength, bool) or not isinstance(strength, int | float):
        raise Invalid("similarityStrength must be a number")
    if not 0.2 <= strength <= 1.0:
        raise Invalid("similarityStrength must be between 0.2 and 1.0")
    if "text" in fields and (not isinstance(fields["text"], str) or not fields["text"]):
        raise Invalid("text must be 1 to 1024 characters")
    return config.get("width", 1024), config.get("height", 1024)


def _decoded(value: Any, name: str) -> Any:
    from PIL import Image

    try:
        data = base64.b64decode(value, validate=True)
        image = Image.open(io.BytesIO(data))
        image.load()
    except (TypeError, ValueError, binascii.Error, OSError):
        raise Invalid(f"Unable to process provided image: {name} is not a base64 image") from None
    if image.format not in ("PNG", "JPEG"):
        raise Invalid(f"{name} must be a PNG or JPEG image")
    return image


def _image(value: Any, name: str) -> tuple[int, int]:
    image = _decoded(value, name)
    if image.mode not in ("RGB", "RGBA"):
        raise Invalid(f"{name} must have 8-bit RGB channels; got mode {image.mode}")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255:
        raise Invalid(f"{name} has transparent or translucent pixels")
    return image.size


def _mask(value: Any, size: tuple[int, int]) -> None:
    mask = _decoded(value, "maskImage")
    if mask.size != size:
        raise Invalid(
            f"maskImage is {mask.size[0]}x{mask.size[1]}; the image is {size[0]}x{size[1]}"
        )
    colours = mask.convert("RGB").getcolors(maxcolors=2)
    if colours is None or not {c for _, c in colours} <= {(0, 0, 0), (255, 255, 255)}:
        raise Invalid("maskImage must hold only pure black and pure white pixels")


def _solid_png(size: tuple[int, int]) -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
