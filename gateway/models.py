"""Value objects that travel down the pipeline; stdlib only, no behaviour beyond shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
class ProviderCall:
    """An HTTP request a provider transform asks the transport to make."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
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
