"""OpenAI image edits and variations: OpenAI's own multipart forms. Pure: no IO.

Read on 2026-12-06: OpenAI's API reference for ``POST /v1/images/edits`` and
``POST /v1/images/variations``
(https://developers.openai.com/api/reference/resources/images/methods/edit and
.../methods/create_variation) and the request types generated from its OpenAPI spec
in openai-python (src/openai/types/image_edit_params.py, image_create_variation_params.py;
commit e43b422). In short: a ``multipart/form-data`` body; ``image`` is one file or,
for GPT image models, several sent as ``image[]`` (openai-python's array format);
``mask`` is an optional PNG whose fully transparent pixels mark the area to edit; the
text fields are those of a generation (``prompt``, ``model``, ``n``, ``size``,
``quality``, ``response_format``, ``user``, and for GPT image models ``background``,
``output_format``, ``output_compression``, ``input_fidelity``). The model defaults to
gpt-image-1.5 for edits and dall-e-2 for variations (dall-e-2 only); the answer has the
shape of a generation's.

The form is forwarded as the caller sent it: its text fields in the caller's order and
spelling, the images under the field the caller used, each file streamed from its
spool (``multipart.encode_files``). As for generations (``images.py``), GPT image
models refuse ``response_format`` and always answer base64, so it is left out and the
gateway hosts the image when ``url`` is asked; a defaulted model is named first. Each
file is labelled with the type its bytes were read as (OpenAI refuses
``application/octet-stream``), and keeps the caller's file name when it is a plain name
matching that type.
"""

from __future__ import annotations

import re
from typing import Any

from ...models import ImageRequest, ProviderCall, StreamedBody, Target, Upload
from .. import calls, multipart
from . import api
from .images import native_formats

# A plain file name: no path, quote or control character, nothing non-ASCII (a header).
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ ()+-]{0,127}\Z")
_EXTENSIONS = {"png": ("png",), "jpeg": ("jpg", "jpeg"), "webp": ("webp",)}


def form_fields(request: ImageRequest) -> list[tuple[str, str]]:
    """The form's text fields as sent (integers in decimal), in the caller's order."""
    params: dict[str, Any] = dict(request.params)
    if native_formats(request) == ("b64_json",):
        params.pop("response_format", None)  # GPT image models refuse it
    if request.model_was_defaulted:
        params = {"model": request.model, **{k: v for k, v in params.items() if k != "model"}}
    return [(name, _text(value)) for name, value in params.items() if value is not None]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def filename(upload: Upload, index: int = 0, stem: str = "image") -> str:
    """The caller's file name when plain and named for the file's real format, else
    ``image.png``, ``image-2.webp``, ... (``stem`` for the mask)."""
    declared = upload.filename or ""
    extensions = _EXTENSIONS.get(upload.format, (upload.format,))
    if _SAFE_NAME.match(declared) and declared.rsplit(".", 1)[-1].lower() in extensions:
        return declared
    suffix = f"-{index + 1}" if index else ""
    return f"{stem}{suffix}.{extensions[0]}"


def form_files(request: ImageRequest) -> list[tuple[str, Upload | bytes, str, str]]:
    """The images under the caller's field (``image``, or ``image[]`` for a list, as
    openai-python sends them), then the mask; each typed by its real format."""
    images = request.images
    field = "image" if len(images) == 1 and images[0].param == "image" else "image[]"
    files: list[tuple[str, Upload | bytes, str, str]] = [
        (field, upload, filename(upload, i), upload.mime_type) for i, upload in enumerate(images)
    ]
    if request.mask is not None:
        mask = request.mask
        files.append(("mask", mask, filename(mask, 0, "mask"), mask.mime_type))
    return files


def form(request: ImageRequest) -> tuple[StreamedBody, str]:
    """``(body, content type)`` of OpenAI's edit or variation form for ``request``."""
    return multipart.encode_files(form_fields(request), form_files(request))


def form_call(
    target: Target, url: str, headers: dict[str, str], request: ImageRequest
) -> ProviderCall:
    """A POST of the form to ``url``: ``headers`` (auth) with the form's content type,
    and the caller's forwarded headers. Shared with Azure OpenAI."""
    body, content_type = form(request)
    merged = calls.with_forwarded({**headers, "Content-Type": content_type}, target)
    return ProviderCall("POST", url, merged, body, target.pinned_ip)


def build_edit_call(request: ImageRequest, target: Target) -> ProviderCall:
    return form_call(target, api.url(target, api.EDITS_PATH), api.headers(target), request)


def build_variation_call(request: ImageRequest, target: Target) -> ProviderCall:
    return form_call(target, api.url(target, api.VARIATIONS_PATH), api.headers(target), request)
