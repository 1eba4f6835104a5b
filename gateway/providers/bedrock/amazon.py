"""Amazon Titan Image Generator and Nova Canvas: the TEXT_IMAGE task. Pure: no IO.

Both take ``{"taskType": "TEXT_IMAGE", "textToImageParams": {"text", "negativeText"?,
"style"? (Nova)}, "imageGenerationConfig": {"numberOfImages", "width", "height",
"quality", "cfgScale"?, "seed"?}}`` and answer ``{"images": [<base64>], "error"?}``,
the ``error`` saying that the content filter blocked some or all of the images.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequest
from ...models import GeneratedImage, ImageRequest, ProviderReply
from .. import answers
from . import params
from .capabilities import (
    NOVA_MAX_PIXELS,
    NOVA_RANGES,
    NOVA_SIDES,
    NOVA_STYLES,
    TITAN_RANGES,
    is_nova,
)
from .filtered import blocked

NAME = params.NAME


def _check_nova_size(request: ImageRequest, width: int, height: int) -> None:
    """Sides were checked with the capabilities (an unknown Nova id: here too)."""
    low, high = NOVA_SIDES
    fits = (
        all(low <= side <= high and side % 16 == 0 for side in (width, height))
        and max(width, height) <= 4 * min(width, height)
        and width * height < NOVA_MAX_PIXELS
    )
    if not fits:
        raise InvalidRequest(
            f"'size' {request.size} is not supported by model '{request.model}': each side "
            f"must be {low} to {high} pixels and a multiple of 16, the ratio at most 4:1, "
            f"and the image under {NOVA_MAX_PIXELS} pixels.",
            param="size",
        )


def body(request: ImageRequest) -> dict[str, Any]:
    """OpenAI's ``hd`` is Amazon's ``premium``; user and vivid/natural are not sent."""
    nova = is_nova(request.model)
    task: dict[str, Any] = {"text": request.prompt}
    negative = params.text(request.params, "negative_prompt")
    if negative is not None:
        task["negativeText"] = negative
    if nova and request.params.get("style") in NOVA_STYLES:
        task["style"] = request.params["style"]
    settings = config(request, params.size(request), request.params)
    return {"taskType": "TEXT_IMAGE", "textToImageParams": task, "imageGenerationConfig": settings}


def config(
    request: ImageRequest, size: tuple[int, int] | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """``imageGenerationConfig``, shared by every task: ``size`` None leaves the width and
    height to the model (or to the input image, for in- and outpainting); ``values`` are
    the caller's numbers (typed: an upload's form fields are parsed first)."""
    nova = is_nova(request.model)
    settings: dict[str, Any] = {"numberOfImages": request.n}
    if size is not None:
        if nova:
            _check_nova_size(request, *size)
        settings.update(width=size[0], height=size[1])
    settings["quality"] = "premium" if request.quality in ("hd", "premium") else "standard"
    found = params.numbers(values, NOVA_RANGES if nova else TITAN_RANGES)
    if "cfg_scale" in found:
        settings["cfgScale"] = found["cfg_scale"]
    if "seed" in found:
        settings["seed"] = found["seed"]
    return settings


def images(reply: ProviderReply, data: dict[str, Any]) -> list[GeneratedImage]:
    """``error`` in a 2xx is, per Titan's and Nova's guides, the content filter's note
    that some or all images were blocked: a 400 ``content_policy_violation``."""
    if data.get("error"):
        error = data["error"]
        raise blocked(reply, error if isinstance(error, str) else json.dumps(error))
    found = data.get("images")
    if not isinstance(found, list):
        raise answers.invalid_answer(NAME, reply, "it holds no 'images' list")
    return [answers.b64_image(NAME, reply, image) for image in found]
