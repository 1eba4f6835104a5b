"""Imagen on Vertex AI: the ``predict`` request and its answer. Pure: no IO.

The body is ``{"instances": [{"prompt"}], "parameters": {...}}``; the answer
``{"predictions": [{"bytesBase64Encoded", "mimeType", "prompt"?}]}``, where an image
the safety filters removed is missing or, with ``includeRaiReason``, carries
``raiFilteredReason`` instead
(https://cloud.google.com/vertex-ai/generative-ai/docs/image/configure-responsible-ai-safety-settings).
The gateway always asks for the reason, so one such reason, or no image at all, is a
400 ``content_policy_violation`` rather than fewer images. Errors are Google's
``{"error": {"code", "message", "status"}}``; a prompt the safety filters refused is
the same 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...errors import GatewayError, InvalidRequest
from ...models import (
    GeneratedImage,
    GoogleServiceAccount,
    ImageRequest,
    ImageResult,
    ProviderCall,
    ProviderReply,
    Target,
)
from .. import answers, calls, options, sizes
from ..errors import (
    decoded,
    flagged_output,
    openai_style_error,
    provider_error,
    refused_prompt,
)
from . import api, auth
from .capabilities import OUTPUT_FORMATS, RATIO_OF_SIZE, RATIOS

NAME = api.NAME
TEXTS = ("personGeneration", "safetySetting", "language", "sampleImageSize")
FLAGS = ("addWatermark", "includeRaiReason", "enhancePrompt")
SEED_MAX = 4294967295
# Sent unless the caller sets it: without it a filtered image is silently left out.
RAI_REASON = "includeRaiReason"
# Google's wording when the safety filters refuse the prompt itself ("The prompt
# couldn't be submitted", "it might violate our policies"), from
# https://cloud.google.com/vertex-ai/generative-ai/docs/image/responsible-ai-imagen
# (Safety filters); its error text also says "could not".
REFUSED = re.compile(
    r"prompt (?:could not|couldn't|can't|cannot) be submitted|might violate our policies",
    re.IGNORECASE,
)


def _typed(params: Mapping[str, Any], name: str, kind: type) -> Any:
    value = params.get(name)
    wrong = not isinstance(value, kind) or isinstance(value, bool) != (kind is bool)
    if value is not None and wrong:
        what = {str: "a string", bool: "true or false", int: "an integer"}[kind]
        raise InvalidRequest(f"'{name}' must be {what} for {NAME}.", param=name)
    return value


def _seed(params: Mapping[str, Any]) -> int | None:
    seed = _typed(params, "seed", int)
    if seed is None:
        return None
    if not 0 <= seed <= SEED_MAX:
        raise InvalidRequest(f"'seed' must be 0 to {SEED_MAX}.", param="seed")
    if params.get("addWatermark") is not False:
        # Google refuses a seed while the (default) SynthID watermark is on.
        raise InvalidRequest("'seed' needs 'addWatermark': false on Vertex AI.", param="seed")
    return int(seed)


def _aspect_ratio(request: ImageRequest) -> str | None:
    asked = _typed(request.params, "aspectRatio", str)
    from_size = None
    if request.size != "auto":
        from_size = RATIO_OF_SIZE.get(request.size) or sizes.nearest_ratio(
            *sizes.require(request.size, NAME), tuple(RATIOS)
        )
    if asked is not None and "size" in request.params and asked != from_size:
        raise InvalidRequest(
            f"'aspectRatio' {asked} contradicts 'size' {request.size}; send one of them.",
            param="aspectRatio",
        )
    return asked or from_size


def _output_options(params: Mapping[str, Any]) -> dict[str, Any]:
    mime = _typed(params, "mimeType", str)
    fmt = _typed(params, "output_format", str)
    if fmt is not None:
        if fmt not in OUTPUT_FORMATS or (mime is not None and OUTPUT_FORMATS[fmt] != mime):
            raise InvalidRequest(
                f"'output_format' {fmt!r} is not usable here.", param="output_format"
            )
        mime = OUTPUT_FORMATS[fmt]
    result: dict[str, Any] = {}
    if mime is not None:
        result["mimeType"] = mime
    quality = _typed(params, "compressionQuality", int)
    if quality is not None:
        if not 0 <= quality <= 100:
            raise InvalidRequest(
                "'compressionQuality' must be 0 to 100.", param="compressionQuality"
            )
        result["compressionQuality"] = quality
    return result


def parameters(request: ImageRequest) -> dict[str, Any]:
    """Imagen's parameters; OpenAI's quality, style and user have no equivalent, not sent.

    ``includeRaiReason`` is always sent: ``true``, or the caller's own boolean as
    given. With ``true`` a filtered image comes back as a ``raiFilteredReason``
    (which fails the answer) instead of being silently left out of ``n``.
    """
    params = request.params
    # Always sent: Vertex makes 4 images when sampleCount is absent.
    result: dict[str, Any] = {"sampleCount": request.n}
    ratio = _aspect_ratio(request)
    if ratio is not None:
        result["aspectRatio"] = ratio
    negative = _typed(params, "negativePrompt", str) or _typed(params, "negative_prompt", str)
    if negative:
        result["negativePrompt"] = negative
    if (seed := _seed(params)) is not None:
        result["seed"] = seed
    for name in TEXTS:
        if (value := _typed(params, name, str)) is not None:
            result[name] = value
    for name in FLAGS:
        if (value := _typed(params, name, bool)) is not None:
            result[name] = value
    result.setdefault(RAI_REASON, True)
    if output := _output_options(params):
        result["outputOptions"] = output
    return result


def _project(target: Target, info: Mapping[str, Any] | None) -> str:
    project = target.options.get("vertex_project_id")
    if not project and info is not None and isinstance(info.get("project_id"), str):
        project = info["project_id"]
    return project or options.required(target.options, "vertex_project_id", NAME)


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    payload = {"instances": [{"prompt": request.prompt}], "parameters": parameters(request)}
    return call(target, request.model, payload)


def call(target: Target, model: str, payload: Mapping[str, Any]) -> ProviderCall:
    """The ``predict`` call of ``model`` with ``payload``: generations and edits alike."""
    account = auth.service_account_text(target.api_key, target.options)
    info = auth.service_account(account) if account else None
    url = api.url(target, _project(target, info), model)
    headers = api.headers(target, None if account else target.api_key)
    data = calls.json_body(payload)
    signing = GoogleServiceAccount(account, NAME, auth.OPTION) if account else None
    return calls.post(target, url, headers, data, signing, reserved=api.SIGNER_OWNED)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    data = answers.json_object(NAME, reply)
    if data.get("error"):
        raise answers.error_in_success(NAME, reply, data["error"])
    predictions = data.get("predictions", [])
    if not isinstance(predictions, list):
        raise answers.invalid_answer(NAME, reply, "its 'predictions' is not a list")
    reasons = [
        p["raiFilteredReason"]
        for p in predictions
        if isinstance(p, dict) and isinstance(p.get("raiFilteredReason"), str)
    ]
    if reasons:  # the caller asked for n images: a filtered one fails the answer
        raise flagged_output(NAME, reply, f"raiFilteredReason: {'; '.join(reasons)}")
    images = [
        _image(reply, p) for p in predictions if isinstance(p, dict) and "bytesBase64Encoded" in p
    ]
    if not images:  # every image removed, without a reason (the caller turned it off)
        raise flagged_output(NAME, reply, "no image returned")
    return answers.result(NAME, reply, images)


def _image(reply: ProviderReply, prediction: dict[str, Any]) -> GeneratedImage:
    mime = prediction.get("mimeType")
    revised = prediction.get("prompt")  # the rewritten prompt, when the rewriter ran
    return answers.b64_image(
        NAME,
        reply,
        prediction["bytesBase64Encoded"],
        content_type=mime if mime in ("image/png", "image/jpeg") else "image/png",
        revised_prompt=revised if isinstance(revised, str) else None,
    )


def parse_error(reply: ProviderReply) -> GatewayError:
    """Google's ``{"error": {"code", "message", "status"}}`` as our error, status kept.

    A 400 whose message is the safety filters' refusal of the prompt (``REFUSED``)
    is the 400 ``content_policy_violation`` OpenAI answers for a refused prompt.
    """
    data = decoded(reply)
    if isinstance(data, list) and data:  # some Google front ends wrap it in a list
        data = data[0]
    error = data.get("error") if isinstance(data, dict) else None
    if not (400 <= reply.status <= 599 and isinstance(error, dict)):
        return openai_style_error(NAME, reply)  # not JSON, odd status, another shape
    status = error.get("status")  # "RESOURCE_EXHAUSTED": type and code
    message = error.get("message")
    if reply.status == 400 and isinstance(message, str) and REFUSED.search(message):
        return refused_prompt(NAME, reply, message)
    return provider_error(NAME, reply, message, error_type=status, code=status)
