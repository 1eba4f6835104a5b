"""Value objects that travel down the pipeline; stdlib only, no behaviour beyond shape."""

from __future__ import annotations

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

    provider: str
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


@dataclass(frozen=True)
class Target:
    """One provider endpoint with the credentials to call it."""

    provider: str
    base_url: str
    api_key: str = field(repr=False)
    # A caller-chosen host, already checked against the allowlist; the address it
    # resolved to is pinned so a DNS change cannot redirect the call.
    pinned_ip: str | None = None
    organization: str | None = None
    project: str | None = None
    forward_headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProviderCall:
    """An HTTP request a provider transform asks the transport to make."""

    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    pinned_ip: str | None = None


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
class ImageResult:
    """An answer ready for the client: bytes in OpenAI's shape plus headers to pass on."""

    status: int
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)
