"""The fake Stability AI's v2beta Edit services and sd3 image-to-image, checked as the
API reference describes them (platform.stability.ai/docs/api-reference, tags Edit and
Generate, read 2026-12-06). Stdlib only.

- Every service: ``multipart/form-data`` with a file part ``image`` that is really a
  jpeg, png or webp, at least 64 pixels a side (read from a PNG's header); only the
  service's documented text fields; a body of at most 10 MiB (else 413
  ``payload_too_large``).
- inpaint and erase: a ``mask`` file part (png, jpeg or webp), or an image with an
  alpha channel; inpaint, search-and-replace and search-and-recolor need ``prompt``,
  the last two ``search_prompt`` / ``select_prompt``; outpaint one of left, right, up,
  down above 0; no other service takes a ``mask``.
- sd3 ``mode=image-to-image``: ``image`` and ``strength`` (0 to 1) required, no
  ``aspect_ratio``; text-to-image takes no file.
"""

from __future__ import annotations

import struct

from tests.e2e.fake_multipart import Form

MAX_BODY = 10 * 1024 * 1024
COMMON = {"seed", "output_format"}
PAINT = {*COMMON, "prompt", "negative_prompt", "grow_mask", "style_preset"}
SERVICES: dict[str, set[str]] = {
    "inpaint": PAINT,
    "erase": {*COMMON, "grow_mask"},
    "outpaint": {*COMMON, "prompt", "left", "right", "up", "down", "creativity", "style_preset"},
    "search-and-replace": {*PAINT, "search_prompt"},
    "search-and-recolor": {*PAINT, "select_prompt"},
    "remove-background": {"output_format"},
}
REQUIRED = {
    "inpaint": ("prompt",),
    "search-and-replace": ("prompt", "search_prompt"),
    "search-and-recolor": ("prompt", "select_prompt"),
}
MASKED = {"inpaint", "erase"}
FORMATS = {"png", "jpeg", "webp"}


def edit_errors(service: str, form: Form) -> list[str]:
    """What Stability would list in ``errors`` for this form (empty: it is accepted)."""
    errors = [f"{name}: unknown field" for name, _ in form.fields if name not in SERVICES[service]]
    errors += image_errors(form)
    errors += [f"{name}: is required" for name in REQUIRED.get(service, ()) if not form.get(name)]
    mask = form.file("mask")
    if mask is not None and service not in MASKED:
        errors.append("mask: unknown field")
    if mask is not None and mask.format not in FORMATS:
        errors.append("mask: must be a jpeg, png or webp image")
    image = form.file("image")
    if service in MASKED and mask is None and image is not None and not _has_alpha(image.data):
        errors.append("mask: required when the image has no alpha channel")
    edges = [form.get(side) or "0" for side in ("left", "right", "up", "down")]
    if service == "outpaint" and not any(float(edge) for edge in edges):
        errors.append("left, right, up, down: at least one must be above 0")
    return errors


def image_errors(form: Form) -> list[str]:
    image = form.file("image")
    if image is None:
        return ["image: is required"]
    if image.format not in FORMATS:
        return ["image: must be a jpeg, png or webp image"]
    size = _png_size(image.data)
    if size is not None and min(size) < 64:
        return ["image: every side must be at least 64 pixels"]
    extra = [f.name for f in form.files if f.name not in ("image", "mask")]
    return [f"{name}: unknown field" for name in extra]


def image_to_image_errors(form: Form) -> list[str]:
    """sd3's image-to-image rules (text-to-image ones stay in ``stability_ai._v2``)."""
    if form.get("mode") != "image-to-image":
        return ["image: only valid for image-to-image"] if form.files else []
    errors = image_errors(form)
    if form.file("mask") is not None:
        errors.append("mask: unknown field")
    strength = form.get("strength")
    if strength is None or not 0 <= float(strength) <= 1:
        errors.append("strength: is required for image-to-image, from 0 to 1")
    if form.has("aspect_ratio"):
        errors.append("aspect_ratio: only valid for text-to-image")
    return errors


def _png_size(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _has_alpha(data: bytes) -> bool:
    """A PNG whose colour type carries alpha (4 grey + alpha, 6 RGBA)."""
    return data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 25 and data[25] in (4, 6)
