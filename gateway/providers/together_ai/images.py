"""Together AI image generation: OpenAI's body mapped to Together's fields. Pure: no IO.

Together's body is its own (https://docs.together.ai/reference/post-images-generations):
``size`` becomes ``width``/``height`` (or ``aspect_ratio`` for Kontext models),
``response_format`` ``b64_json`` is spelled ``base64``, and Together's own fields
(PARAMS) pass through when the caller sends them, type-checked first. OpenAI-only
fields (quality, style, user, background, moderation, ...) are not sent: Together
has no such settings. Its answer ``{id, model, object, data: [{index, url | b64_json,
type}]}`` has no ``created``, so it becomes images for the gateway to render. A prompt
its safety checker refused (a 422) is a 400 ``content_policy_violation``.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import GatewayError, InvalidRequest
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import answers, calls, sizes
from ..errors import decoded, openai_style_error, refused_prompt
from . import api
from .capabilities import ASPECT_RATIO_MODELS

NAME = "together-ai"
# Together's own fields, with the JSON types its API schema gives them.
PARAMS: dict[str, tuple[type, ...]] = {
    "steps": (int,),
    "seed": (int,),
    "negative_prompt": (str,),
    "guidance_scale": (int, float),
    "output_format": (str,),
    "disable_safety_checker": (bool,),
    "image_url": (str,),
    "reference_images": (list,),
    "image_loras": (list,),
    "aspect_ratio": (str,),
}
CHOICES: dict[str, tuple[str, ...]] = {"output_format": ("jpeg", "png")}
_KIND_NAMES = {int: "an integer", str: "a string", bool: "a boolean", list: "a list"}
# Together takes 1 to 4 images per call, whatever the model (parameters page).
MAX_N = 4
# Ratios offered when a Kontext model gets a ``size`` (BFL Kontext: 21:9 to 9:21).
RATIOS = ("1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9", "9:21")
# Words of a safety checker refusal, looked for in a 422's message, type or code.
SAFETY = re.compile(r"nsfw|safety|unsafe|moderat", re.IGNORECASE)


def _checked(name: str, value: Any, kinds: tuple[type, ...]) -> Any:
    number = kinds != (bool,) and isinstance(value, bool)  # True is an int in Python
    if number or not isinstance(value, kinds):
        kind = "a number" if float in kinds else _KIND_NAMES[kinds[0]]
        raise InvalidRequest(f"'{name}' must be {kind} for {NAME}.", param=name)
    allowed = CHOICES.get(name)
    if allowed is not None and value not in allowed:
        raise InvalidRequest(
            f"'{name}' must be one of {', '.join(allowed)} for {NAME}.", param=name
        )
    return value


def _dimensions(request: ImageRequest) -> dict[str, Any]:
    parsed = sizes.parse(request.size) if request.params.get("size") is not None else None
    if parsed is None:  # not asked, or "auto": Together's own default (1024x1024)
        return {}
    width, height = parsed
    if request.model in ASPECT_RATIO_MODELS:
        if request.params.get("aspect_ratio") is not None:
            return {}  # the caller's own aspect_ratio wins
        return {"aspect_ratio": sizes.nearest_ratio(width, height, RATIOS)}
    if width % 8 or height % 8:
        raise InvalidRequest(
            f"'size' width and height must be multiples of 8 for {NAME}.", param="size"
        )
    return {"width": width, "height": height}


def body(request: ImageRequest) -> bytes:
    if request.n > MAX_N:  # known models are held to this by their capabilities already
        raise InvalidRequest(f"'n' must be 1 to {MAX_N} for {NAME}.", param="n")
    out: dict[str, Any] = {"model": request.model, "prompt": request.prompt, "n": request.n}
    out.update(_dimensions(request))
    out["response_format"] = "base64" if request.response_format == "b64_json" else "url"
    for name, kinds in PARAMS.items():
        value = request.params.get(name)
        if value is not None:
            out[name] = _checked(name, value, kinds)
    return calls.json_body(out)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), calls.bearer_json_headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    if reply.content_type.startswith("image/"):
        return answers.raw_image(NAME, reply)
    data = answers.json_object(NAME, reply)
    if data.get("error") and not data.get("data"):
        raise answers.error_in_success(NAME, reply, data["error"])
    items = data.get("data")
    if not isinstance(items, list):
        raise answers.invalid_answer(NAME, reply, "its body has no 'data' list")
    images = [answers.openai_item(NAME, reply, item) for item in items]
    return answers.result(NAME, reply, images, answers.created_seconds(data.get("created")))


def parse_error(reply: ProviderReply) -> GatewayError:
    """Together's OpenAI-shaped errors, status kept, but for its safety checker.

    Together documents that its built-in safety checker, unless
    ``disable_safety_checker`` is sent, refuses a prompt with NSFW words with a
    ``422 Unprocessable Entity`` (Safety Checker, https://docs.together.ai/docs/images-overview;
    https://docs.together.ai/docs/inference/images/parameters). The body is not
    documented, so only a 422 whose message, type or code names NSFW, safety or
    moderation becomes the 400 ``content_policy_violation`` OpenAI answers for a
    refused prompt; any other 422 keeps its status.
    """
    if reply.status == 422:
        message = _refusal(decoded(reply))
        if message is not None:
            return refused_prompt(NAME, reply, message)
    return openai_style_error(NAME, reply)  # Together's errors are OpenAI-shaped


def _refusal(data: Any) -> str | None:
    """The message of a safety checker refusal ("" when it has none), or None."""
    if not isinstance(data, dict):
        return None
    error = data.get("error", data)
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        return None
    fields = [error.get(name) for name in ("message", "type", "code")]
    if not any(isinstance(value, str) and SAFETY.search(value) for value in fields):
        return None
    message = error.get("message")
    return message if isinstance(message, str) else ""
