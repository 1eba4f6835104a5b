"""Value objects that travel down the pipeline; stdlib only, no behaviour beyond shape."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .image_formats import CONTENT_TYPES

# What an ImageRequest asks for: the route it came in on.
GENERATIONS, EDITS, VARIATIONS = "generations", "edits", "variations"


@dataclass(frozen=True, slots=True)
class Upload:
    """One checked input image of an edit or variation: format, size and alpha read from
    its bytes by Pillow (``gateway.uploads``).

    ``path`` is set when the file was spooled to disk (then ``data`` is None), ``data``
    when it stayed in memory; either way it lives until the request's ``with`` ends.
    ``filename`` and ``content_type`` are what the client declared, never trusted.
    The cache key and the request log use ``sha256`` and ``size``, never the bytes.
    """

    param: str  # how errors and logs name it: "image", "image[2]", "mask"
    format: str  # "png", "jpeg" or "webp", from the bytes
    width: int
    height: int
    has_alpha: bool
    size: int  # bytes
    sha256: str  # hex, computed while the file was received
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)  # never in logs
    filename: str | None = None
    content_type: str | None = None

    @property
    def mime_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def open(self) -> BinaryIO:
        """A fresh binary reader over the bytes (a file for the transport to stream)."""
        if self.path is not None:
            return self.path.open("rb")
        return io.BytesIO(self.data or b"")

    def read(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def described(self) -> dict[str, Any]:
        """What the request log and the cache key keep of it: never the bytes."""
        return {
            "param": self.param,
            "sha256": self.sha256,
            "bytes": self.size,
            "format": self.format,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class ImageRequest:
    """A validated image-generation body.

    ``params`` holds exactly what the caller sent (in the caller's order), so a
    provider can forward it unchanged; the typed fields carry the effective
    values after the model's defaults, for capability checks and the log.
    """

    params: dict[str, Any]
    raw: bytes
    model: str
    prompt: str
    n: int
    size: str
    quality: str | None
    style: str | None
    response_format: str
    model_was_defaulted: bool = False
    # Edits and variations (``EDITS``, ``VARIATIONS``): the input images and the mask,
    # checked and spooled by ``gateway.uploads``; ``params`` then holds the form's text
    # fields, typed (``n`` an int), and ``raw`` is empty: there is no JSON body.
    operation: str = GENERATIONS
    images: tuple[Upload, ...] = ()
    mask: Upload | None = None

    @property
    def uploads(self) -> tuple[Upload, ...]:
        """Every input file, mask last: what the cache key and the request log describe."""
        return (*self.images, self.mask) if self.mask is not None else self.images


@dataclass(frozen=True)
class RequestOptions:
    """What the ``x-portkey-*`` headers and ``Authorization`` asked for."""

    # None: no x-portkey-provider and GATEWAY_DEFAULT_PROVIDER=none.
    provider: str | None
    trace_id: str
    api_key: str | None = field(default=None, repr=False)
    gateway_key: str | None = field(default=None, repr=False)
    metadata: dict[str, str] = field(default_factory=dict)
    timeout_ms: int | None = None
    custom_host: str | None = None
    openai_organization: str | None = None
    openai_project: str | None = None
    forward_headers: tuple[tuple[str, str], ...] = ()
    # Raw x-portkey-config (inline JSON or a saved name) and x-portkey-virtual-key.
    config: str | None = None
    virtual_key: str | None = None
    # Provider settings from headers (x-portkey-azure-resource-name -> resource_name, ...).
    provider_options: Mapping[str, str] = field(default_factory=dict, repr=False)
    # x-portkey-cache-force-refresh present (any value): skip the cache lookup, store anew.
    cache_force_refresh: bool = False


@dataclass(frozen=True)
class Target:
    """One provider endpoint with the credentials to call it."""

    provider: str
    # None: the provider's own endpoint (which may depend on ``options``, e.g. an Azure
    # resource or an AWS region). Else a checked custom host or an admin-set base URL.
    base_url: str | None
    api_key: str = field(repr=False)
    # A caller-chosen host, already checked against the allowlist; the address it
    # resolved to is pinned so a DNS change cannot redirect the call.
    pinned_ip: str | None = None
    organization: str | None = None
    project: str | None = None
    forward_headers: tuple[tuple[str, str], ...] = ()
    # Provider settings (Portkey's names: resource_name, aws_region, vertex_project_id,
    # ...), some of them secret (aws_secret_access_key): never logged.
    options: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class AwsSigning:
    """Sign the call with AWS SigV4 just before sending (needs the clock: not pure)."""

    service: str
    region: str
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class GoogleServiceAccount:
    """Exchange this service-account JSON for an OAuth token (cached) before sending.

    ``provider`` and ``option`` (where the caller put the JSON) name them in refusals.
    """

    info: str = field(repr=False)
    provider: str
    option: str
    scope: str = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class StreamedBody:
    """A request body sent piece by piece: bytes and input files in order, so a 50 MB
    upload goes from its spool file to the provider without being held in memory.

    Pure description: the transport opens the files when it sends (again for a retry).
    """

    pieces: tuple[bytes | Upload, ...] = field(repr=False)

    def __len__(self) -> int:
        return sum(p.size if isinstance(p, Upload) else len(p) for p in self.pieces)

    def to_bytes(self) -> bytes:
        """The whole body at once: for tests and for signers that must hash it."""
        return b"".join(p.read() if isinstance(p, Upload) else p for p in self.pieces)


@dataclass(frozen=True)
class ProviderCall:
    """An HTTP request a provider transform asks the transport to make."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes | StreamedBody = field(repr=False)
    pinned_ip: str | None = None
    # Authentication the transport layer must add (data only: providers stay pure).
    signing: AwsSigning | GoogleServiceAccount | None = None


@dataclass(frozen=True)
class ProviderReply:
    """What the transport got back, body fully read (bounded)."""

    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class GeneratedImage:
    """One image as a provider gave it: base64, raw bytes or a URL (at least one)."""

    b64_json: str | None = field(default=None, repr=False)
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)
    content_type: str = "image/png"
    revised_prompt: str | None = None


@dataclass(frozen=True)
class ImageResult:
    """An answer for the client.

    Either ``body``: bytes already in OpenAI's shape and in the format asked for
    (passed through untouched), or ``images``: what the provider returned, which the
    gateway turns into ``{"created", "data"}`` in the asked format (hosting base64
    images behind a signed URL, or inlining URL-only images as base64).
    """

    status: int
    body: bytes = field(default=b"", repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    images: tuple[GeneratedImage, ...] | None = None
    created: int | None = None
    # Other top-level fields to render after ``created`` and ``data`` (a cache hit of a
    # passed-through body: gpt-image's ``usage``, ``size``, ``output_format``, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # What a parsed answer says it made (gpt-image answers carry both at top level),
    # which settles the cost of ``auto``; a body passed through is read for them.
    size: str | None = None
    quality: str | None = None
    # A body passed through: the images its outline held, read with ``size`` and
    # ``quality`` when it was checked, so the cost need not search 1.5 MB again.
    # None: not read (``cost`` searches the body). Read from ``body``, so not compared.
    body_images: int | None = field(default=None, compare=False)
