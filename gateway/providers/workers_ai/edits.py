"""Workers AI image edits: OpenAI's edit form on Stable Diffusion 1.5 inpainting and img2img.

Read on 2026-12-06 in Cloudflare's catalogue (developers.cloudflare.com/workers-ai/models/
stable-diffusion-v1-5-inpainting and .../stable-diffusion-v1-5-img2img, whose schemas are
src/content/workers-ai-models/<name>.json in github.com/cloudflare/cloudflare-docs). What
it says, in our words:

- Both models run synchronously at ``.../ai/run/@cf/runwayml/<model>`` with a JSON input:
  ``prompt`` (required), ``negative_prompt``, ``width``/``height`` (256-2048),
  ``image`` (the input file's bytes as an array of 0-255 integers) or ``image_b64`` (the
  file in base64), ``mask`` (the mask file's bytes as such an array), ``num_steps`` (at
  most 20), ``strength`` (0-1, default 1; lower keeps more of the input), ``guidance``
  (default 7.5) and ``seed``. The answer is the PNG itself. Both are in beta, listed at
  $0.00 per step.
- The mask follows Stable Diffusion inpainting (runwayml/stable-diffusion-inpainting, as
  huggingface.co/docs/diffusers/using-diffusers/inpaint describes it): white pixels are
  repainted, black ones kept.

OpenAI's edit form maps so: a mask, or one image with transparent pixels and no mask
(dall-e-2's rule), goes to the inpainting model with OpenAI's area turned white
(``masks.edit_area``, at the image's size); a mask without alpha is taken to be the
model's own black-and-white kind and sent as it is. With no area and no model named, the
prompt changes the whole image on the img2img model with ``strength`` 0.75 unless the
caller sends one (the gateway's choice: the model's default of 1 would ignore the
input). The image goes as ``image_b64``; a WEBP is converted to PNG first (the schemas
name no formats and every example sends PNG). ``size`` becomes ``width``/``height``
when it is not ``auto``. One run makes one image: ``n`` above 1 is several runs
(``gateway.outbound.fanout``). The gateway builds this JSON in memory, so an image over
10 MiB is refused (its own limit: Cloudflare documents none for these inputs). Left
out: variations (no model makes one without a prompt) and the SDXL models' image input
(not documented as image-to-image).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest, ProviderCall, Target, Upload
from .. import calls, masks, sizes
from . import api
from .capabilities import IMG2IMG, INPAINTING, SEED

NAME = api.NAME
MAX_BYTES = 10 * 1024 * 1024
DEFAULT_STRENGTH = 0.75
STEPS_MAX = 20
# Numbers the caller may send as form text: (low, high, whole).
NUMBERS: Mapping[str, tuple[float | None, float | None, bool]] = {
    "strength": (0, 1, False),
    "guidance": (None, None, False),
    "seed": (SEED[0], SEED[1], True),
}


def build_edit_call(request: ImageRequest, target: Target) -> ProviderCall:
    if request.n != 1:  # fan-out makes one run per image
        raise InvalidRequest(f"'n' must be 1 for {NAME}: each run makes one image.", param="n")
    image = _one_image(request)
    mask = _mask(request, image)
    model = _model(request, mask is not None)
    if not request.prompt:
        raise InvalidRequest(f"'prompt' is required by {NAME}'s image edits.", param="prompt")
    payload: dict[str, Any] = {"prompt": request.prompt}
    negative = request.params.get("negative_prompt")
    if negative is not None:
        payload["negative_prompt"] = str(negative)
    parsed = sizes.parse(request.size)
    if parsed is not None:
        payload.update(width=parsed[0], height=parsed[1])
    image_bytes = image.read() if image.format != "webp" else masks.as_png(image)
    payload["image_b64"] = base64.b64encode(_within(image.param, image_bytes)).decode("ascii")
    if mask is not None:
        # A JSON array of byte values: about 4 characters a byte, built in memory.
        payload["mask"] = list(_within("mask", mask))
    payload.update(_numbers(request.params))
    if model == IMG2IMG:
        payload.setdefault("strength", DEFAULT_STRENGTH)
    return calls.post(target, api.url(target, model), api.headers(target), calls.json_body(payload))


def _model(request: ImageRequest, has_area: bool) -> str:
    """The inpainting model for an area, img2img without one; a named model must fit."""
    if request.model_was_defaulted:
        return INPAINTING if has_area else IMG2IMG
    model = request.model
    if model == INPAINTING and not has_area:
        raise InvalidRequest(
            f"{INPAINTING} needs an area to repaint: send a mask (fully transparent pixels "
            f"mark it), or use {IMG2IMG} to change the whole image.",
            param="mask",
        )
    if model == IMG2IMG and has_area:
        raise InvalidRequest(
            f"{IMG2IMG} takes no mask: use {INPAINTING} to repaint an area.", param="mask"
        )
    if model not in (INPAINTING, IMG2IMG):
        raise InvalidRequest(
            f"'model' {model!r} has no image edits on {NAME}: use {INPAINTING} or {IMG2IMG}.",
            param="model",
        )
    return model


def _one_image(request: ImageRequest) -> Upload:
    if len(request.images) != 1:
        raise InvalidRequest(
            f"{NAME} edits one image per request; got {len(request.images)}.", param="image"
        )
    image = request.images[0]
    _within(image.param, size=image.size)
    return image


def _within(param: str, data: bytes = b"", size: int | None = None) -> bytes:
    """``data`` (or a file of ``size`` bytes) under the gateway's limit for this JSON
    body, which holds every byte in memory: the upload as sent, a WEBP turned into PNG,
    and the mask."""
    size = len(data) if size is None else size
    if size > MAX_BYTES:
        raise InvalidRequest(
            f"The image in '{param}' is {size} bytes; {NAME}'s edits take at most "
            f"10 MiB ({MAX_BYTES} bytes) through the gateway.",
            param=param,
        )
    return data


def _mask(request: ImageRequest, image: Upload) -> bytes | None:
    """The mask file in the model's white-means-repaint, or None (no area to edit)."""
    mask = masks.white_means_edit(request.mask, image, name=NAME)
    return masks.as_png(mask) if isinstance(mask, Upload) else mask


def _numbers(params: Mapping[str, Any]) -> dict[str, Any]:
    """``num_steps`` (``steps`` as Portkey's alias), ``strength``, ``guidance``, ``seed``:
    form text parsed and range-checked."""
    out: dict[str, Any] = {}
    steps_name = "steps" if params.get("steps") is not None else "num_steps"
    steps = _number(params, steps_name, 1, STEPS_MAX, whole=True)
    if steps is not None:
        out["num_steps"] = steps
    for name, (low, high, whole) in NUMBERS.items():
        value = _number(params, name, low, high, whole=whole)
        if value is not None:
            out[name] = value
    return out


def _number(
    params: Mapping[str, Any], name: str, low: float | None, high: float | None, *, whole: bool
) -> int | float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        number: int | float = int(str(raw)) if whole else float(str(raw))
    except ValueError:
        number = float("nan")
    if (
        number != number  # NaN
        or number in (float("inf"), float("-inf"))
        or (low is not None and number < low)
        or (high is not None and number > high)
    ):
        what = "an integer" if whole else "a number"
        span = f" from {low} to {high}" if low is not None and high is not None else ""
        raise InvalidRequest(f"'{name}' must be {what}{span} for {NAME}; got {raw!r}.", param=name)
    return number
