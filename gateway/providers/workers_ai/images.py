"""Workers AI image generation: the JSON input, and both kinds of answer. Pure: no IO.

A model run makes one image. Some models answer JSON
``{"result": {"image": <base64>}, "success": true, "errors": [], "messages": []}``,
others the raw image bytes (``image/png`` or ``image/jpeg``): both become one image
(Portkey 1.15.2 crashes with a 500 on the raw ones). ``success: false`` inside a
200 is an error. Errors are ``{"errors": [{"code", "message"}], "success": false}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import GatewayError, InvalidRequest
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import answers, calls, sizes
from ..errors import decoded, openai_style_error, provider_error
from . import api
from .capabilities import MODELS, UNKNOWN_NUMBERS, UNKNOWN_STEPS

NAME = api.NAME


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidRequest(f"'{name}' must be a string for {NAME}.", param=name)
    return value


def _number(
    params: Mapping[str, Any], name: str, bounds: tuple[float | None, float | None], whole: bool
) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    low, high = bounds
    kind = int if whole else int | float
    if (
        isinstance(value, bool)
        or not isinstance(value, kind)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        what = "an integer" if whole else "a number"
        span = f" from {low} to {high}" if low is not None and high is not None else ""
        raise InvalidRequest(f"'{name}' must be {what}{span} for {NAME}.", param=name)
    return value


def _steps(params: Mapping[str, Any], most: int | None) -> float | None:
    """The caller's ``steps`` (Portkey's name) or ``num_steps`` (Cloudflare's)."""
    name = "num_steps" if params.get("steps") is None else "steps"
    return _number(params, name, (1, most), whole=True)


def _size(request: ImageRequest) -> dict[str, int]:
    """Width and height (a known model's range was checked with its capabilities)."""
    parsed = sizes.parse(request.size)
    if parsed is None:
        return {}  # "auto": the model's own default
    return {"width": parsed[0], "height": parsed[1]}


def body(request: ImageRequest) -> dict[str, Any]:
    """The model's input; OpenAI's quality, style and user have no equivalent, not sent."""
    params = request.params
    model = MODELS.get(request.model)
    result: dict[str, Any] = {"prompt": request.prompt}
    negative = _text(params, "negative_prompt")
    if negative is not None:
        result["negative_prompt"] = negative  # a known model without it was refused already
    steps = _steps(params, model.steps_max if model else None)
    if steps is not None:
        for name in (model.steps_field,) if model else UNKNOWN_STEPS:
            result[name] = steps
    if (model is None and "size" in params) or (model is not None and model.sides is not None):
        # An unknown model gets a size only when asked: it may take none at all.
        result.update(_size(request))
    numbers = model.numbers if model else UNKNOWN_NUMBERS
    for name, bounds in numbers.items():
        value = _number(params, name, bounds, whole=name == "seed")
        if value is not None:
            result[name] = value
    return result


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    if request.n != 1:  # a known model's table says so already; an unknown one too
        raise InvalidRequest(f"'n' must be 1 for {NAME}: each run makes one image.", param="n")
    url = api.url(target, request.model)
    data = calls.json_body(body(request))
    return calls.post(target, url, api.headers(target), data)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    if reply.content_type.startswith("image/"):
        return answers.raw_image(NAME, reply)
    data = answers.json_object(NAME, reply)
    if data.get("success") is False or (data.get("errors") and not data.get("result")):
        raise answers.error_in_success(NAME, reply, _error_fields(data))
    result = data.get("result")
    image = result.get("image") if isinstance(result, dict) else None
    if image is None:
        raise answers.invalid_answer(NAME, reply, "it holds no 'result.image'")
    # FLUX.1 schnell and Lucid Origin encode JPEG (Cloudflare's examples say so).
    return answers.result(
        NAME, reply, [answers.b64_image(NAME, reply, image, content_type="image/jpeg")]
    )


def parse_error(reply: ProviderReply) -> GatewayError:
    """Cloudflare's ``{"errors": [{"code", "message"}]}`` as our error, status kept."""
    data = decoded(reply)
    if not (400 <= reply.status <= 599 and isinstance(data, dict) and "errors" in data):
        return openai_style_error(NAME, reply)  # not JSON, odd status, another shape
    fields = _error_fields(data)
    return provider_error(NAME, reply, fields["message"], code=fields["code"])


def _error_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Every error's message joined; the first one's numeric code."""
    errors = data.get("errors")
    errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    messages = [e["message"] for e in errors if isinstance(e.get("message"), str)]
    code = errors[0].get("code") if errors else None
    return {
        "message": "; ".join(messages) or None,
        "code": str(code) if isinstance(code, int | str) and not isinstance(code, bool) else None,
    }
