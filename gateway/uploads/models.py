"""Value objects of the upload routes: the bounds a form is read under, and what passes.

Stdlib only. The cache key and the request log use ``Upload.sha256`` and ``Upload.size``,
never the bytes; the bytes stay in memory only for files under the spool threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import Upload

__all__ = ["MIB", "EditRequest", "Upload", "UploadLimits", "VariationRequest"]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """What the gateway accepts before any model's own limits (settings come later).

    ``max_file_bytes`` is OpenAI's largest per-image limit (50 MB for the GPT image
    models); ``max_pixels`` stays under Pillow's own decompression-bomb warning
    (89,478,485 pixels) so that every image it lets through was checked by us first.
    """

    max_body_bytes: int = 100 * MIB
    max_file_bytes: int = 50 * MIB
    memory_threshold: int = 512 * 1024  # a file past this is spooled to disk
    max_field_bytes: int = 256 * 1024  # a text part: 32,000 characters of UTF-8 fit
    max_parts: int = 64  # 16 images, a mask, 13 fields and the extras
    max_extra_fields: int = 32  # unknown text fields passed on, as for generations
    max_pixels: int = 8192 * 8192


@dataclass(frozen=True, slots=True)
class EditRequest:
    """``POST /v1/images/edits`` once every check passed.

    ``model`` is the effective model (OpenAI's default when none was sent);
    ``fields`` holds every text field exactly as sent (unknown ones included, for the
    providers' tables), ``model_named`` whether the caller sent ``model``.
    """

    model: str
    prompt: str
    images: tuple[Upload, ...]
    mask: Upload | None
    fields: Mapping[str, str]
    model_named: bool
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    input_fidelity: str | None = None
    response_format: str | None = None
    user: str | None = None

    @property
    def uploads(self) -> tuple[Upload, ...]:
        """Every file of the request, mask last: what the cache key and the log hash."""
        return (*self.images, self.mask) if self.mask else self.images


@dataclass(frozen=True, slots=True)
class VariationRequest:
    """``POST /v1/images/variations`` once every check passed (fields as in EditRequest)."""

    model: str
    image: Upload
    fields: Mapping[str, str]
    model_named: bool
    n: int | None = None
    size: str | None = None
    response_format: str | None = None
    user: str | None = None

    @property
    def uploads(self) -> tuple[Upload, ...]:
        return (self.image,)
