"""Bedrock image edits and variations: Titan's and Nova Canvas's editing tasks. Pure.

The same ``InvokeModel`` call as generations (``images.call``: URL, SigV4 or API key)
with another ``taskType``, and the same answer, ``{"images": [<base64>], "error"?}``
(``images.parse_reply``). Read on 2026-12-06 in
https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html
and https://docs.aws.amazon.com/nova/latest/userguide/image-gen-access.html (with
image-gen-req-resp-structure.html), in our words:

- ``INPAINTING`` changes the inside of a mask: ``inPaintingParams`` {``image``, ``text``
  (what to paint there), ``negativeText``?, and exactly one of ``maskImage`` (black =
  change) or ``maskPrompt`` (words naming what to mask)}. ``OUTPAINTING`` changes the
  outside (``outPaintingParams``, the same fields plus ``outPaintingMode`` DEFAULT or
  PRECISE; white = change). Their output has the input's size: no width or height.
- ``IMAGE_VARIATION``: ``imageVariationParams`` {``images`` (1 to 5), ``text``?,
  ``negativeText``?, ``similarityStrength``? 0.2-1.0}, width and height as for a
  generation. Titan's model card calls the prompt optional, as Nova's task table does
  (Nova's field list marks ``text`` required): a variation without a prompt sends none.
- ``imageGenerationConfig``: ``numberOfImages`` 1-5, ``quality``, ``cfgScale``, ``seed``
  as for a generation (``amazon.config``).

OpenAI's forms map so: an edit with a mask, or one image with transparent pixels and
no mask (dall-e-2's rule), or a ``mask_prompt`` -> INPAINTING (``outpainting_mode``
asks for OUTPAINTING); an edit without any mask -> a prompt-guided IMAGE_VARIATION, the
documented way to change a whole image by prompt; a variation -> IMAGE_VARIATION.
Stability models on Bedrock get no edits here: a 400 naming the model.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...models import EDITS, ImageRequest, ProviderCall, Target, Upload
from . import amazon, inputs, params
from .capabilities import SDXL, STABILITY, family
from .images import call

NAME = params.NAME
INPAINTING, OUTPAINTING, VARIATION = "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION"
MAX_VARIED = 5  # images one IMAGE_VARIATION takes
RANGES = {"similarity_strength": (0.2, 1.0)}
NUMBERS = ("cfg_scale", "seed", "similarity_strength")


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    """An edit (``/v1/images/edits``): in- or outpainting, else a guided variation."""
    return call(target, request.model, edit_body(request))


def build_variation(request: ImageRequest, target: Target) -> ProviderCall:
    """A variation (``/v1/images/variations``): IMAGE_VARIATION of the image(s)."""
    _amazon_only(request)
    return call(target, request.model, variation_body(request))


def edit_body(request: ImageRequest) -> dict[str, Any]:
    _amazon_only(request)
    mask_prompt = params.text(request.params, "mask_prompt")
    mode = params.text(request.params, "outpainting_mode")
    first = request.images[0]
    if request.mask is not None and mask_prompt is not None:
        raise InvalidRequest(
            f"Send either a 'mask' file or 'mask_prompt', not both: {NAME}'s Titan and Nova "
            "Canvas take one of maskImage and maskPrompt.",
            param="mask_prompt",
        )
    mask = None
    if mask_prompt is None:
        mask = _mask(request, first, outpainting=mode is not None)
        if mask is None:
            return variation_body(request)  # no mask at all: a prompt-guided variation
    return painting_body(request, mask, mask_prompt, mode)


def painting_body(
    request: ImageRequest, mask: str | None, mask_prompt: str | None, mode: str | None
) -> dict[str, Any]:
    """INPAINTING (or OUTPAINTING with ``mode``) of the one image, masked by ``mask``
    (base64, Amazon's colours) or ``mask_prompt``."""
    task = OUTPAINTING if mode is not None else INPAINTING
    if len(request.images) != 1:
        raise InvalidRequest(
            f"{task} on {NAME} takes one image; got {len(request.images)}. Several images "
            "without a mask make a prompt-guided IMAGE_VARIATION.",
            param="image",
        )
    first = request.images[0]
    rules = inputs.limits(request.model, painting=True)
    inputs.check(first, rules)
    _same_size(request, first)
    fields: dict[str, Any] = {"image": inputs.image_b64(first, rules), "text": request.prompt}
    _negative(request, fields)
    if mask_prompt is not None:
        fields["maskPrompt"] = mask_prompt
    else:
        fields["maskImage"] = mask
    if mode is not None:
        fields["outPaintingMode"] = mode
    key = "outPaintingParams" if mode is not None else "inPaintingParams"
    values = params.from_form(request.params, NUMBERS)
    settings = amazon.config(request, None, values)
    return {"taskType": task, key: fields, "imageGenerationConfig": settings}


def variation_body(request: ImageRequest) -> dict[str, Any]:
    """IMAGE_VARIATION of up to five images, guided by the prompt when there is one."""
    if len(request.images) > MAX_VARIED:
        raise InvalidRequest(
            f"IMAGE_VARIATION on {NAME} takes 1 to {MAX_VARIED} images; got {len(request.images)}.",
            param="image",
        )
    rules = inputs.limits(request.model, painting=False)
    for upload in request.images:
        inputs.check(upload, rules)
    fields: dict[str, Any] = {"images": [inputs.image_b64(u, rules) for u in request.images]}
    if request.prompt:
        fields["text"] = request.prompt
    _negative(request, fields)
    values = params.from_form(request.params, NUMBERS)
    found = params.numbers(values, RANGES)
    if "similarity_strength" in found:
        fields["similarityStrength"] = found["similarity_strength"]
    settings = amazon.config(request, params.size(request), values)
    task = {"taskType": VARIATION, "imageVariationParams": fields}
    return {**task, "imageGenerationConfig": settings}


def _mask(request: ImageRequest, first: Upload, *, outpainting: bool) -> str | None:
    """Amazon's mask from OpenAI's: the mask file's transparent pixels, else (no mask
    file) the image's own; None when there is no mask at all."""
    source = request.mask or (first if first.has_alpha and len(request.images) == 1 else None)
    mask = inputs.mask_b64(source, first, outpainting=outpainting) if source else None
    if mask is None and (request.mask is not None or outpainting):
        param = "mask" if request.mask is not None else "outpainting_mode"
        raise InvalidRequest(
            "No area to edit: OpenAI's mask marks it with fully transparent pixels (alpha "
            "0), and this request has none. Send a mask with transparent pixels or a "
            "'mask_prompt' naming what to change.",
            param=param,
        )
    return mask


def _same_size(request: ImageRequest, first: Upload) -> None:
    """In- and outpainting keep the input's size: another ``size`` cannot be honoured."""
    size = params.size(request)
    if size is not None and size != (first.width, first.height):
        raise InvalidRequest(
            f"'size' {request.size} is not what {NAME} can make here: in- and outpainting "
            f"keep the image's own size, {first.width}x{first.height}. Send that size or "
            "auto.",
            param="size",
        )


def _negative(request: ImageRequest, fields: dict[str, Any]) -> None:
    negative = params.text(request.params, "negative_prompt")
    if negative is not None:
        fields["negativeText"] = negative


def _amazon_only(request: ImageRequest) -> None:
    if family(request.model) in (SDXL, STABILITY):
        raise InvalidRequest(
            f"'model' {request.model!r} has no image {request.operation} on {NAME} through "
            "this gateway: use amazon.nova-canvas-v1:0 or an amazon.titan-image-generator "
            "model.",
            param="model",
        )


def uses_input_size(request: ImageRequest) -> bool:
    """Whether the edit is likely in- or outpainting (the output has the input's size):
    for the price of ``auto``, without decoding the image to look for transparency."""
    if request.operation != EDITS:
        return False
    painted = request.mask is not None or request.params.get("mask_prompt") is not None
    return painted or (len(request.images) == 1 and request.images[0].has_alpha)
