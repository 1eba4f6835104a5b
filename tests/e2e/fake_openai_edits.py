"""OpenAI's image edit and variation forms as the fakes check and answer them. Stdlib only.

Shared by the fake OpenAI (``fake_provider``, ``/v1/images/edits`` and
``/v1/images/variations``) and the fake Azure OpenAI (``fakes/azure_openai``). The
checks follow OpenAI's API reference for the two endpoints (read 2026-12-06): a
multipart form; ``image`` (or ``image[]``) present, each part typed ``image/png``,
``image/jpeg`` or ``image/webp`` and really that format (OpenAI refuses
``application/octet-stream``); dall-e-2 takes one PNG; ``prompt`` required for edits;
``mask`` a PNG; variations are dall-e-2 only; GPT image models refuse
``response_format`` and answer base64. A failed check is a ``Problem`` the caller turns
into its own error body; a passed one answers like a generation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

if __package__:
    from .fake_multipart import Form, MultipartError, parse
    from .fake_openai_bodies import ok_body
else:  # rootdir-less conftest: pytest put this folder on sys.path
    from fake_multipart import Form, MultipartError, parse
    from fake_openai_bodies import ok_body

EDITS, VARIATIONS = "edits", "variations"
DEFAULT_MODEL = {EDITS: "gpt-image-1.5", VARIATIONS: "dall-e-2"}
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}
GPT_PREFIXES = ("gpt-image", "chatgpt-image")


@dataclass(frozen=True)
class Problem:
    """An OpenAI-style refusal: status, message, the parameter at fault, the code."""

    status: int
    message: str
    param: str | None
    code: str

    def openai_body(self) -> dict:
        error = {"message": self.message, "type": "invalid_request_error", "param": self.param}
        return {"error": {**error, "code": self.code}}


@dataclass(frozen=True)
class Checked:
    form: Form
    model: str
    n: int
    response_format: str  # what the answer holds: url or b64_json


def _missing(name: str) -> Problem:
    return Problem(
        400, f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
    )


def check(
    endpoint: str, content_type: str, body: bytes, model: str | None = None
) -> Checked | Problem:
    """The form, checked as OpenAI checks it; ``model`` overrides the form's (Azure's
    deployment form, where the deployment decides)."""
    try:
        form = parse(content_type, body)
    except MultipartError as exc:
        return Problem(400, f"Could not parse the multipart form: {exc}", None, "invalid_multipart")
    model = model or form.get("model") or DEFAULT_MODEL[endpoint]
    gpt = model.startswith(GPT_PREFIXES)
    if endpoint == VARIATIONS and model != "dall-e-2":
        message = f"Invalid value for 'model' = {model}. Variations support dall-e-2 only."
        return Problem(400, message, "model", "invalid_value")
    problem = _check_files(form, gpt) or _check_fields(endpoint, form, gpt)
    if problem is not None:
        return problem
    n = int(form.get("n") or 1)
    fmt = "b64_json" if gpt or form.get("response_format") == "b64_json" else "url"
    return Checked(form, model, n, fmt)


def _check_files(form: Form, gpt: bool) -> Problem | None:
    images = form.files_named("image", "image[]")
    if not images:
        return _missing("image")
    if not gpt and (len(images) > 1 or images[0].format != "png"):
        return Problem(400, "dall-e-2 takes one square PNG image.", "image", "invalid_image")
    for part in images:
        declared = IMAGE_TYPES.get((part.content_type or "").lower())
        if declared is None:
            message = (
                f"Invalid file '{part.name}': unsupported mimetype ('{part.content_type}'). "
                "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
            )
            return Problem(400, message, part.name, "unsupported_file_mimetype")
        if part.format != declared:
            return Problem(
                400, f"Invalid image file '{part.filename}'.", part.name, "invalid_image"
            )
    mask = form.file("mask")
    if form.has("mask") or (
        mask is not None and (mask.format, mask.content_type) != ("png", "image/png")
    ):
        return Problem(400, "Invalid mask image: it must be a PNG file.", "mask", "invalid_image")
    return None


def _check_fields(endpoint: str, form: Form, gpt: bool) -> Problem | None:
    if endpoint == EDITS and not form.get("prompt"):
        return _missing("prompt")
    if gpt and form.has("response_format"):
        message = "Unknown parameter: 'response_format'."
        return Problem(400, message, "response_format", "unknown_parameter")
    n = form.get("n") or "1"
    if not n.isdigit() or not 1 <= int(n) <= 10:
        return Problem(
            400, f"Invalid 'n': integer between 1 and 10 expected, got {n!r}.", "n", "invalid_value"
        )
    return None


def openai_reply(endpoint: str, content_type: str, body: bytes) -> tuple[int, bytes]:
    """The fake OpenAI's answer: ``n`` images in the format the model answers, or the 400."""
    checked = check(endpoint, content_type, body)
    if isinstance(checked, Problem):
        return checked.status, json.dumps(checked.openai_body()).encode()
    return 200, ok_body(checked.n, checked.response_format)
