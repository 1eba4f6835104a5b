"""The fake Vertex AI's editing model, ``imagen-3.0-capability-001:predict``, checked as
Google's Imagen edit and customization references describe it.

- ``instances``: one, with ``prompt`` (optional) and ``referenceImages``: exactly one
  ``REFERENCE_TYPE_RAW`` with ``referenceImage.bytesBase64Encoded`` (strict base64 of a
  PNG or JPEG of at most 10 MB), at most one ``REFERENCE_TYPE_MASK`` whose
  ``maskImageConfig.maskMode`` is USER_PROVIDED (then an image the raw image's size) or
  BACKGROUND / FOREGROUND (then no image), ``dilation`` 0 to 1; ids unique integers.
- ``parameters``: the generation ones plus ``editMode`` (a masked mode needs a mask
  reference), ``guidanceScale``, ``editConfig`` {``baseSteps``}; ``sampleCount`` 1 to 4.

The answer's images are solid PNGs of the raw image's size (Imagen keeps it), one per
sample, so a test can check the mapping. A prompt with "refused" gets Google's 400.
Pillow is imported lazily.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from typing import Any

from . import FakeReply, json_reply

EDIT_MODEL = "imagen-3.0-capability-001"
MAX_BYTES = 10 * 1024 * 1024
EDIT_PARAMETERS = {"editMode", "guidanceScale", "editConfig"}
MASKED = {
    "EDIT_MODE_INPAINT_INSERTION",
    "EDIT_MODE_INPAINT_REMOVAL",
    "EDIT_MODE_OUTPAINT",
    "EDIT_MODE_BGSWAP",
}
EDIT_MODES = MASKED | {"EDIT_MODE_DEFAULT"}
MASK_MODES = {"MASK_MODE_USER_PROVIDED", "MASK_MODE_BACKGROUND", "MASK_MODE_FOREGROUND"}
REFERENCE_KEYS = {"referenceType", "referenceId", "referenceImage", "maskImageConfig"}
Error = Callable[[int, str, str], FakeReply]


class Invalid(Exception):
    """A request the real model refuses: Google's 400 INVALID_ARGUMENT message."""


def handle(body: Any, allowed: set[str], error: Error, refusal: str) -> FakeReply:
    """``allowed``: the generation parameters the fake takes; ``refusal``: its text."""
    try:
        instance, parameters = _shape(body, allowed | EDIT_PARAMETERS)
        size, masked = _references(instance.get("referenceImages"))
        count = _parameters(parameters, masked)
    except Invalid as problem:
        return error(400, "INVALID_ARGUMENT", str(problem))
    if "refused" in str(instance.get("prompt", "")):
        return error(400, "INVALID_ARGUMENT", refusal)
    mime = parameters.get("outputOptions", {}).get("mimeType", "image/png")
    prediction = {"bytesBase64Encoded": _solid_png(size), "mimeType": mime}
    return json_reply(200, {"predictions": [prediction] * count})


def _shape(body: Any, allowed: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    instances = body.get("instances") if isinstance(body, dict) else None
    if not (isinstance(instances, list) and len(instances) == 1):
        raise Invalid("instances must hold exactly one instance")
    instance = instances[0]
    if not isinstance(instance, dict) or set(instance) - {"prompt", "referenceImages"}:
        raise Invalid('Invalid JSON payload received. Unknown name in "instances[0]"')
    if "prompt" in instance and not isinstance(instance["prompt"], str):
        raise Invalid("instances[0].prompt must be a string")
    parameters = body.get("parameters", {})
    unknown = sorted(set(parameters) - allowed) if isinstance(parameters, dict) else ["?"]
    if unknown:
        raise Invalid(f'Invalid JSON payload received. Unknown name "{unknown[0]}"')
    return instance, parameters


def _references(references: Any) -> tuple[tuple[int, int], bool]:
    """The raw image's size, and whether a mask reference is present."""
    if not isinstance(references, list) or not references:
        raise Invalid("referenceImages is required for editing")
    kinds = [r.get("referenceType") if isinstance(r, dict) else None for r in references]
    ids = [r.get("referenceId") for r in references]
    if kinds.count("REFERENCE_TYPE_RAW") != 1 or kinds.count("REFERENCE_TYPE_MASK") > 1:
        raise Invalid("Editing takes one raw reference image and at most one mask")
    if set(kinds) - {"REFERENCE_TYPE_RAW", "REFERENCE_TYPE_MASK"}:
        raise Invalid(f"Unsupported referenceType for this request: {kinds}")
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids) or len(set(ids)) < len(ids):
        raise Invalid("referenceId must be a unique integer")
    for reference in references:
        if set(reference) - REFERENCE_KEYS:
            raise Invalid(f'Unknown name "{sorted(set(reference) - REFERENCE_KEYS)[0]}"')
    raw = references[kinds.index("REFERENCE_TYPE_RAW")]
    if "maskImageConfig" in raw:
        raise Invalid("maskImageConfig is only for REFERENCE_TYPE_MASK")
    size = _decoded(raw.get("referenceImage"), "raw reference image").size
    if "REFERENCE_TYPE_MASK" in kinds:
        _mask(references[kinds.index("REFERENCE_TYPE_MASK")], size)
    return size, "REFERENCE_TYPE_MASK" in kinds


def _mask(reference: dict[str, Any], size: tuple[int, int]) -> None:
    config = reference.get("maskImageConfig")
    if not isinstance(config, dict) or set(config) - {"maskMode", "dilation"}:
        raise Invalid("maskImageConfig must hold maskMode and optionally dilation")
    mode = config.get("maskMode")
    if mode not in MASK_MODES:
        raise Invalid(f"Unsupported maskMode: {mode}")
    dilation = config.get("dilation", 0.01)
    if isinstance(dilation, bool) or not isinstance(dilation, int | float):
        raise Invalid("dilation must be a number")
    if not 0 <= dilation <= 1:
        raise Invalid("dilation must be between 0 and 1")
    given = "referenceImage" in reference
    if given != (mode == "MASK_MODE_USER_PROVIDED"):
        raise Invalid("A mask image goes with MASK_MODE_USER_PROVIDED, and only with it")
    if given:
        mask = _decoded(reference["referenceImage"], "mask reference image")
        if mask.size != size:
            raise Invalid(f"The mask is {mask.size}; it must be the raw image's size, {size}")


def _parameters(parameters: dict[str, Any], masked: bool) -> int:
    count = parameters.get("sampleCount", 4)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 4:
        raise Invalid("sampleCount must be between 1 and 4")
    mode = parameters.get("editMode", "EDIT_MODE_DEFAULT")
    if mode not in EDIT_MODES:
        raise Invalid(f"Unsupported editMode: {mode}")
    if mode in MASKED and not masked:
        raise Invalid(f"{mode} needs a REFERENCE_TYPE_MASK reference image")
    config = parameters.get("editConfig", {})
    if not isinstance(config, dict) or set(config) - {"baseSteps"}:
        raise Invalid("editConfig takes baseSteps")
    for name, value in (("baseSteps", config.get("baseSteps", 1)),
                        ("guidanceScale", parameters.get("guidanceScale", 0))):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Invalid(f"{name} must be a non-negative integer")
    return count


def _decoded(image: Any, name: str) -> Any:
    from PIL import Image

    if not isinstance(image, dict) or set(image) - {"bytesBase64Encoded", "mimeType"}:
        raise Invalid(f"The {name} needs referenceImage.bytesBase64Encoded")
    try:
        data = base64.b64decode(image["bytesBase64Encoded"], validate=True)
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (KeyError, TypeError, ValueError, binascii.Error, OSError):
        raise Invalid(f"Unable to decode the {name}: not a base64 image") from None
    if picture.format not in ("PNG", "JPEG"):
        raise Invalid(f"The {name} must be image/png or image/jpeg")
    if len(data) > MAX_BYTES:
        raise Invalid(f"The {name} is larger than 10 MB")
    return picture


def _solid_png(size: tuple[int, int]) -> str:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
