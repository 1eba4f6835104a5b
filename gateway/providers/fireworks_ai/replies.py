"""Reading Fireworks AI's image answers and errors. Pure: no IO.

SDXL-family models answer a JSON list of ``{base64, finishReason, seed}``; FLUX
workflows an object ``{base64: [...], finishReason, seed}`` whose strings may be data
URIs. ``finishReason: CONTENT_FILTERED`` (or a ``Finish-Reason`` header on a raw
image) means the safety check replaced the image
(https://docs.fireworks.ai/api-reference/generate-a-new-image-from-a-text-prompt):
one such image makes the whole answer a 400 ``content_policy_violation``, never a
blank image. Errors come as ``{"fault": {faultstring,
detail: {errorcode}}}`` (gateway), ``{"detail": ...}`` (validation) or OpenAI's
``{"error": ...}``; the status is kept.
"""

from __future__ import annotations

from typing import Any

from ...errors import GatewayError
from ...models import ImageResult, ProviderReply
from .. import answers
from ..errors import decoded, flagged_output, openai_style_error, provider_error

NAME = "fireworks-ai"
FILTERED = "CONTENT_FILTERED"
_ERROR_KEYS = ("fault", "detail", "error")


def parse_reply(reply: ProviderReply) -> ImageResult:
    if not 200 <= reply.status < 300:
        raise parse_error(reply)
    if reply.headers.get("finish-reason") == FILTERED:
        raise flagged_output(NAME, reply, f"finish reason {FILTERED}")
    if reply.content_type.startswith("image/"):
        return answers.raw_image(NAME, reply)
    data = answers.decode_json(NAME, reply)
    if isinstance(data, dict) and "base64" not in data:
        if any(key in data for key in _ERROR_KEYS):
            raise answers.error_in_success(NAME, reply, _error_fields(data))
        raise answers.invalid_answer(NAME, reply, "its body has no 'base64' images")
    items = _items(reply, data)
    if any(reason == FILTERED for _, reason in items):
        raise flagged_output(NAME, reply, f"finish reason {FILTERED}")
    images = [answers.b64_image(NAME, reply, _strip_data_uri(b64)) for b64, _ in items]
    return answers.result(NAME, reply, images)


def _items(reply: ProviderReply, data: Any) -> list[tuple[Any, Any]]:
    """(base64, finishReason) pairs from either answer shape."""
    if isinstance(data, list):
        if not all(isinstance(item, dict) for item in data):
            raise answers.invalid_answer(NAME, reply, "an image entry is not an object")
        return [(item.get("base64"), item.get("finishReason")) for item in data]
    found = data.get("base64")
    values = found if isinstance(found, list) else [found]
    return [(value, data.get("finishReason")) for value in values]


def _strip_data_uri(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("data:"):
        return value.partition(",")[2]
    return value


def parse_error(reply: ProviderReply) -> GatewayError:
    data = decoded(reply)
    if not (400 <= reply.status <= 599 and isinstance(data, dict)):
        return openai_style_error(NAME, reply)  # not JSON / odd status: the shared wording
    if "fault" not in data and "detail" not in data:
        return openai_style_error(NAME, reply)
    fields = _error_fields(data)
    return provider_error(NAME, reply, fields["message"], code=fields["code"])


def _error_fields(data: dict[str, Any]) -> dict[str, Any]:
    fault = data.get("fault")
    if isinstance(fault, dict):
        detail = fault.get("detail")
        code = detail.get("errorcode") if isinstance(detail, dict) else None
        return {"message": fault.get("faultstring"), "code": code}
    if "detail" in data:
        detail = data["detail"]
        if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": ...}]
            detail = "; ".join(str(d.get("msg")) if isinstance(d, dict) else str(d) for d in detail)
        return {"message": detail, "code": None}
    error = data.get("error")
    return error if isinstance(error, dict) else {"message": error, "code": None}
