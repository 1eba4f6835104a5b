"""Stability models on Bedrock: SDXL's v1 JSON and SD3/Core/Ultra's JSON. Pure: no IO.

SDXL takes ``text_prompts`` (a negative prompt is a prompt of weight -1) and answers
``{"result", "artifacts": [{"base64", "seed", "finishReason"}]}``. SD3, Core and
Ultra take ``prompt``/``aspect_ratio``/``seed``/``negative_prompt``/``output_format``
and answer ``{"seeds", "finish_reasons", "images"}``, a non-null finish reason being
a filtered or failed image. A filtered image in either answer is a 400
``content_policy_violation`` (``filtered.py``).
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...models import GeneratedImage, ImageRequest, ProviderReply
from .. import answers, sizes
from . import params
from .capabilities import RATIO_OF_SIZE, RATIOS, SDXL_RANGES, STABILITY_RANGES, STYLE_PRESETS
from .filtered import blocked

NAME = params.NAME


def sdxl_body(request: ImageRequest) -> dict[str, Any]:
    """OpenAI's quality, user and a vivid/natural style have no equivalent: not sent."""
    params.one_image(request)
    prompts: list[dict[str, Any]] = [{"text": request.prompt, "weight": 1}]
    negative = params.text(request.params, "negative_prompt")
    if negative is not None:
        prompts.append({"text": negative, "weight": -1})
    body: dict[str, Any] = {"text_prompts": prompts, "samples": 1}
    width, height = sizes.require(request.size, NAME)
    body.update(width=width, height=height)
    preset = params.text(request.params, "style_preset")
    if preset is None and request.params.get("style") in STYLE_PRESETS:
        preset = request.params["style"]  # Portkey maps style to style_preset
    if preset is not None:
        body["style_preset"] = preset
    body.update(params.numbers(request.params, SDXL_RANGES))
    return body


def _aspect_ratio(request: ImageRequest) -> str | None:
    asked = params.text(request.params, "aspect_ratio")
    if asked is not None:
        if "size" in request.params and RATIO_OF_SIZE.get(request.size) != asked:
            raise InvalidRequest(
                f"'aspect_ratio' {asked} contradicts 'size' {request.size}; send one of them.",
                param="aspect_ratio",
            )
        return asked
    parsed = sizes.parse(request.size)
    if parsed is None:
        return None  # "auto": the model's default (1:1)
    return RATIO_OF_SIZE.get(request.size) or sizes.nearest_ratio(*parsed, tuple(RATIOS))


def v2_body(request: ImageRequest) -> dict[str, Any]:
    params.one_image(request)
    body: dict[str, Any] = {"prompt": request.prompt}
    negative = params.text(request.params, "negative_prompt")
    if negative is not None:
        body["negative_prompt"] = negative
    ratio = _aspect_ratio(request)
    if ratio is not None:
        body["aspect_ratio"] = ratio
    body.update(params.numbers(request.params, STABILITY_RANGES))
    output_format = params.text(request.params, "output_format")
    if output_format is not None:
        body["output_format"] = output_format
    return body


def sdxl_images(reply: ProviderReply, data: dict[str, Any]) -> list[GeneratedImage]:
    """``ERROR`` artifacts are left out; one ``CONTENT_FILTERED`` makes it a 400."""
    artifacts = data.get("artifacts")
    if not isinstance(artifacts, list):
        raise answers.invalid_answer(NAME, reply, "it holds no 'artifacts' list")
    if not all(isinstance(item, dict) for item in artifacts):
        raise answers.invalid_answer(NAME, reply, "an artifact is not an object")
    reasons = [item.get("finishReason") for item in artifacts]
    if "CONTENT_FILTERED" in reasons:
        raise blocked(reply, "finish reason CONTENT_FILTERED")
    images = [
        answers.b64_image(NAME, reply, item.get("base64"))
        for item, reason in zip(artifacts, reasons, strict=True)
        if reason in (None, "SUCCESS")
    ]
    if not images and reasons:
        raise answers.error_in_success(NAME, reply, {"message": "; ".join(map(str, reasons))})
    return images


def v2_images(
    reply: ProviderReply, data: dict[str, Any], request: ImageRequest
) -> list[GeneratedImage]:
    """A ``Filter reason: ...`` finish reason is a 400 even next to an image."""
    found = data.get("images") or []
    reasons = [r for r in data.get("finish_reasons") or [] if isinstance(r, str)]
    if not isinstance(found, list):
        raise answers.invalid_answer(NAME, reply, "its 'images' is not a list")
    filtered = [r for r in reasons if r.startswith("Filter reason")]
    if filtered:
        raise blocked(reply, "; ".join(filtered))
    if not found and reasons:
        raise answers.error_in_success(NAME, reply, {"message": "; ".join(reasons)})
    jpeg = request.params.get("output_format") == "jpeg"
    kind = "image/jpeg" if jpeg else "image/png"
    return [answers.b64_image(NAME, reply, image, content_type=kind) for image in found]
