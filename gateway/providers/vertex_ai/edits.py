"""Imagen edits on Vertex AI: OpenAI's edit form as an editing-model ``predict``. Pure.

The same ``predict`` call as generations (``images.call``: regional URL, OAuth token or
service account) on ``imagen-3.0-capability-001``, and the same answer
(``images.parse_reply``). Read on 2026-12-06 in
https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/imagen-api-edit,
.../model-reference/imagen-api-customization, .../image/edit-images (mask-free),
.../reference/rest/Shared.Types/EditMode and the model cards
(.../models/imagen/3-0-generate-002), in our words:

- ``instances[0]``: ``prompt`` and ``referenceImages``; the image to edit is
  ``{"referenceType": "REFERENCE_TYPE_RAW", "referenceId", "referenceImage":
  {"bytesBase64Encoded"}}``, at most one per request, and the output has its size.
  A mask is a second entry, ``REFERENCE_TYPE_MASK`` with ``maskImageConfig``
  {``maskMode``, ``dilation`` 0-1}: ``MASK_MODE_USER_PROVIDED`` with an image the raw
  image's size whose non-zero (white) pixels mark where to edit, or
  ``MASK_MODE_BACKGROUND`` / ``MASK_MODE_FOREGROUND`` with no image, Imagen segmenting
  the raw image itself.
- ``parameters``: ``editMode`` (EDIT_MODE_INPAINT_INSERTION, _INPAINT_REMOVAL,
  _OUTPAINT, _BGSWAP, _DEFAULT, ...), ``sampleCount`` (1 to 4, as generations),
  ``editConfig.baseSteps`` (where Google's SDKs put it), ``guidanceScale``,
  ``negativePrompt``, ``seed``, ``personGeneration``, ``safetySetting``,
  ``addWatermark``, ``includeRaiReason``, ``language``, ``outputOptions``
  {``mimeType``, ``compressionQuality``}: ``images.parameters`` builds the shared ones.
- Mask-free editing (the whole image changed by the prompt) is documented for this
  model card: the raw image alone, no mask, ``editMode`` left to its default.
- Images are PNG or JPEG (``image/png``, ``image/jpeg``), at most 10 MB each.
  ``imagegeneration@006`` and its older edit format were removed on 2025-09-24: not built.

OpenAI's form maps so: a mask file (alpha 0 = edit) becomes a user-provided mask, white
where OpenAI's is transparent (a mask without alpha is taken to be Imagen's own kind and
sent as it is, at the image's size), for EDIT_MODE_INPAINT_INSERTION (``edit_mode`` may ask
for removal, outpainting or a background swap); no mask file but one image with
transparent pixels: that transparency is the mask (dall-e-2's rule); ``mask_mode``
``background`` or ``foreground`` lets Imagen make the mask (background: a background
swap unless ``edit_mode`` says otherwise); otherwise a mask-free edit. Variations have
no Imagen equivalent: not offered.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import replace
from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest, ProviderCall, Target, Upload
from .. import masks, sizes
from . import images
from .capabilities import EDIT_MODES, MASK_MODES

NAME = images.NAME
MAX_BYTES = 10 * 1024 * 1024  # "10 MB": read as MiB, too loose is only Google's 400
SENT_AS_IS = ("png", "jpeg")
RAW_ID, MASK_ID = 1, 2
USER, BACKGROUND = "MASK_MODE_USER_PROVIDED", "MASK_MODE_BACKGROUND"
INSERTION, BGSWAP, DEFAULT = (
    "EDIT_MODE_INPAINT_INSERTION",
    "EDIT_MODE_BGSWAP",
    "EDIT_MODE_DEFAULT",
)
# The caller's fields ``images.parameters`` reads, typed from the form's text.
SHARED = (
    *("negativePrompt", "negative_prompt", "seed", "personGeneration", "safetySetting"),
    *("language", "addWatermark", "includeRaiReason", "mimeType", "output_format"),
    "compressionQuality",
)
WHOLE = ("seed", "compressionQuality", "base_steps", "guidance_scale")
FLAGS = ("addWatermark", "includeRaiReason")
_WHOLE = re.compile(r"-?[0-9]{1,10}\Z")


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    """An edit (``/v1/images/edits``) as the editing model's ``predict``."""
    return images.call(target, request.model, edit_body(request))


def edit_body(request: ImageRequest) -> dict[str, Any]:
    values = form_values(request.params)
    first = _one_image(request)
    _same_size(request, first)
    edit_mode = _mode(values, "edit_mode", EDIT_MODES)
    mask_mode, mask = _mask(request, first, values, edit_mode)
    references: list[dict[str, Any]] = [_reference(RAW_ID, "REFERENCE_TYPE_RAW", _b64(first))]
    if mask_mode is None:  # mask-free: the prompt changes the whole image
        if edit_mode not in (None, DEFAULT):
            raise InvalidRequest(
                f"'edit_mode' {request.params['edit_mode']!r} needs a mask: send a 'mask' "
                "file (transparent where to edit) or 'mask_mode' background or foreground.",
                param="edit_mode",
            )
        if "mask_dilation" in values:
            raise InvalidRequest(
                "'mask_dilation' needs a mask ('mask' file or 'mask_mode').",
                param="mask_dilation",
            )
    else:
        edit_mode = edit_mode or (BGSWAP if mask_mode == BACKGROUND else INSERTION)
        references.append(_mask_reference(mask_mode, mask, values))
    shared = {k: values[k] for k in SHARED if k in values}
    if "output_compression" in values and "compressionQuality" not in shared:
        shared["compressionQuality"] = values["output_compression"]
    parameters = images.parameters(replace(request, params=shared, size="auto"))
    if edit_mode is not None:
        parameters["editMode"] = edit_mode
    if "guidance_scale" in values:
        parameters["guidanceScale"] = _whole(values, "guidance_scale", 0)
    if "base_steps" in values:
        parameters["editConfig"] = {"baseSteps": _whole(values, "base_steps", 1)}
    instance = {"prompt": request.prompt, "referenceImages": references}
    return {"instances": [instance], "parameters": parameters}


def form_values(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the numbers and booleans a form sends as text typed (a config's
    ``override_params`` may give them typed already); other text is left as it is."""
    values = {k: v for k, v in params.items() if v is not None}
    for name in WHOLE:
        if isinstance(values.get(name), str):
            if not _WHOLE.match(values[name]):
                raise InvalidRequest(f"'{name}' must be a whole number for {NAME}.", param=name)
            values[name] = int(values[name])
    for name in FLAGS:
        if isinstance(values.get(name), str):
            if values[name] not in ("true", "false"):
                raise InvalidRequest(f"'{name}' must be true or false for {NAME}.", param=name)
            values[name] = values[name] == "true"
    if "mask_dilation" in values:
        values["mask_dilation"] = _dilation(values["mask_dilation"])
    return values


def _mode(values: dict[str, Any], name: str, modes: dict[str, str]) -> str | None:
    """Google's enum for the caller's ``edit_mode`` / ``mask_mode`` (short or full name)."""
    value = values.get(name)
    if value is None:
        return None
    if value in modes.values():
        return str(value)
    if value not in modes:
        allowed = ", ".join(modes)
        raise InvalidRequest(f"'{name}' must be one of {allowed} for {NAME}.", param=name)
    return modes[value]


def _mask(
    request: ImageRequest, first: Upload, values: dict[str, Any], edit_mode: str | None
) -> tuple[str | None, str | None]:
    """``(maskMode, base64 mask image or None)``; ``(None, None)``: a mask-free edit."""
    mask_mode = _mode(values, "mask_mode", MASK_MODES)
    if request.mask is not None:
        if mask_mode not in (None, USER):
            raise InvalidRequest(
                "Send either a 'mask' file or 'mask_mode' background/foreground, not both.",
                param="mask_mode",
            )
        # OpenAI's kind converted; one without alpha is Imagen's own (white = edit), as
        # for the other white-means-edit providers; one marking nothing is a 400.
        mask = masks.white_means_edit(request.mask, first, name=NAME)
        if isinstance(mask, bytes):
            _limit(request.mask, len(mask))
            return USER, base64.b64encode(mask).decode("ascii")
        return USER, _b64(request.mask)
    if mask_mode in (None, USER):
        own = _user_mask(first, first) if first.has_alpha else None
        if own is not None:  # no mask file: the image's own transparency (dall-e-2's rule)
            return USER, own
        if mask_mode == USER:
            raise InvalidRequest(
                "'mask_mode' user_provided needs a 'mask' file (transparent where to edit).",
                param="mask_mode",
            )
        return (BACKGROUND, None) if edit_mode == BGSWAP else (None, None)
    return mask_mode, None


def _user_mask(source: Upload, image: Upload) -> str | None:
    """OpenAI's edit area of ``source`` as Imagen's mask (white = edit) the size of
    ``image``, base64; None when no pixel of ``source`` is fully transparent."""
    area = masks.edit_area(source, edit=masks.WHITE, size=(image.width, image.height))
    if area is None:
        return None
    data = masks.png(area)
    _limit(source, len(data))
    return base64.b64encode(data).decode("ascii")


def _mask_reference(mode: str, mask: str | None, values: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {"maskMode": mode}
    if "mask_dilation" in values:
        config["dilation"] = values["mask_dilation"]
    reference = _reference(MASK_ID, "REFERENCE_TYPE_MASK", mask)
    reference["maskImageConfig"] = config
    return reference


def _reference(ref_id: int, kind: str, data: str | None) -> dict[str, Any]:
    reference: dict[str, Any] = {"referenceType": kind, "referenceId": ref_id}
    if data is not None:
        reference["referenceImage"] = {"bytesBase64Encoded": data}
    return reference


def _one_image(request: ImageRequest) -> Upload:
    if len(request.images) != 1:
        raise InvalidRequest(
            f"Imagen on {NAME} edits one image per request; got {len(request.images)}.",
            param="image",
        )
    return request.images[0]


def _same_size(request: ImageRequest, first: Upload) -> None:
    """The output keeps the input's size: another ``size`` cannot be honoured."""
    size = sizes.parse(request.size)
    if size is not None and size != (first.width, first.height):
        raise InvalidRequest(
            f"'size' {request.size} is not what {NAME} can make here: an Imagen edit keeps "
            f"the image's own size, {first.width}x{first.height}. Send that size or auto.",
            param="size",
        )


def _b64(upload: Upload) -> str:
    """The image as PNG or JPEG (a WEBP becomes a PNG), base64, within Google's 10 MB."""
    if upload.format in SENT_AS_IS:
        _limit(upload, upload.size)
        data = upload.read()
    else:
        data = masks.as_png(upload)
        _limit(upload, len(data))
    return base64.b64encode(data).decode("ascii")


def _limit(upload: Upload, size: int) -> None:
    if size > MAX_BYTES:
        raise InvalidRequest(
            f"'{upload.param}' is {size:,} bytes as sent; Imagen on {NAME} takes images "
            f"of at most {MAX_BYTES:,} bytes (10 MB).",
            param=upload.param,
        )


def _whole(values: dict[str, Any], name: str, low: int) -> int:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidRequest(
            f"'{name}' must be a whole number of at least {low} for {NAME}.", param=name
        )
    return value


def _dilation(value: Any) -> float:
    try:
        number = float(value) if isinstance(value, str | int | float) else math.nan
    except ValueError:
        number = math.nan
    if isinstance(value, bool) or not 0 <= number <= 1:  # NaN fails too
        raise InvalidRequest(
            f"'mask_dilation' must be a number from 0 to 1 for {NAME}.", param="mask_dilation"
        )
    return number
