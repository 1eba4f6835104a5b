"""Stability's v1 text-to-image (SDXL 1.0, SD 1.6): JSON body and artifacts. Pure: no IO.

``prompt`` becomes ``text_prompts`` with weight 1 and ``negative_prompt`` a second entry
with weight -1 (v1's documented way to say "avoid this"); ``n`` becomes ``samples``;
``size`` becomes ``width``/``height``; ``quality``, ``user`` and OpenAI's vivid/natural
styles have no v1 equivalent and are not sent.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...models import GeneratedImage, ImageRequest, ProviderReply, Target
from .. import answers, calls, sizes
from ..calls import bearer_json_headers
from ..errors import flagged_output
from . import api
from .capabilities import SD16_SIDES, SD_V16, V1_RANGES
from .params import FILTERED, NAME, check_ranges, style_preset, text_param

# Passed through as sent, in this order, after the mapped fields.
PARAMS = ("cfg_scale", "clip_guidance_preset", "sampler", "seed", "steps", "extras")


def body(request: ImageRequest) -> bytes:
    params = request.params
    check_ranges(params, V1_RANGES)
    prompts: list[dict[str, Any]] = [{"text": request.prompt, "weight": 1}]
    negative = text_param(params, "negative_prompt")
    if negative:
        prompts.append({"text": negative, "weight": -1})
    width, height = _size(request)
    out: dict[str, Any] = {
        "text_prompts": prompts,
        "samples": request.n,
        "height": height,
        "width": width,
    }
    preset = style_preset(params)
    if preset is not None:
        out["style_preset"] = preset
    out.update((name, params[name]) for name in PARAMS if params.get(name) is not None)
    return calls.json_body(out)


def _size(request: ImageRequest) -> tuple[int, int]:
    width, height = sizes.require(request.size, NAME)
    if request.model == SD_V16 and not (width in SD16_SIDES and height in SD16_SIDES):
        raise InvalidRequest(
            f"'size' {request.size} is not supported by model '{SD_V16}'; each side must be "
            f"a multiple of 64 from {SD16_SIDES.start} to {SD16_SIDES.stop - 1}.",
            param="size",
        )
    return width, height


def call(request: ImageRequest, target: Target) -> tuple[str, dict[str, str], bytes]:
    return (
        api.v1_url(target, request.model),
        bearer_json_headers(target),
        body(request),
    )


def images(name: str, reply: ProviderReply, data: Any) -> list[GeneratedImage]:
    """``{"artifacts": [{base64, finishReason, seed}]}`` (a bare list in the 2023 spec).

    ``ERROR`` artifacts hold no image and are left out. A ``CONTENT_FILTERED`` one is,
    per the v1 reference, an image the content filter may have blurred: one of them
    makes the whole answer a 400 ``content_policy_violation``, as OpenAI answers a
    refused prompt, so that fallback can move on
    (https://platform.stability.ai/docs/api-reference#tag/SDXL-1.0-and-SD1.6/operation/textToImage,
    ``FinishReason`` in github.com/Stability-AI/rest-api-support generated/spec/v1.json).
    """
    artifacts = data.get("artifacts") if isinstance(data, dict) else data
    if not isinstance(artifacts, list):
        raise answers.invalid_answer(name, reply, "its body has no 'artifacts' list")
    if not all(isinstance(artifact, dict) for artifact in artifacts):
        raise answers.invalid_answer(name, reply, "an artifact is not an object")
    if any(artifact.get("finishReason") == FILTERED for artifact in artifacts):
        raise flagged_output(name, reply, f"finish reason {FILTERED}")
    return [
        answers.b64_image(name, reply, artifact.get("base64"))
        for artifact in artifacts
        if artifact.get("finishReason") != "ERROR"
    ]
