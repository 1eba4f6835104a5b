"""The one top-down flow of an image generation; no Flask here.

headers -> provider -> credentials -> body -> capabilities -> target ->
provider transform -> HTTP -> answer transform. ``Trace`` collects what the
request log needs as the flow goes, so a failure at any step still logs what
was known by then.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import custom_hosts, providers
from .errors import (
    AuthenticationError,
    GatewayError,
    RequestTimeout,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .models import ImageRequest, ImageResult, RequestOptions, Target
from .providers.base import Provider
from .providers.capabilities import resolve
from .schemas import headers as header_schema
from .schemas import load
from .schemas.images import ImageGenerationSchema
from .settings import Settings
from .strict_json import loads_object
from .transport import Transport

_BODY_SCHEMA = ImageGenerationSchema()


@dataclass
class Trace:
    """Mutable per-request record for the log; filled in as the pipeline learns things."""

    trace_id: str
    provider: str | None = None
    request: ImageRequest | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    upstream_ms: float | None = None


@dataclass(frozen=True)
class Deps:
    settings: Settings
    transport: Transport
    base_urls: Mapping[str, str]
    resolve_host: custom_hosts.Resolver = custom_hosts.system_resolver


def _require_key(options: RequestOptions) -> str:
    if not options.api_key:
        raise AuthenticationError(
            "No provider API key: send 'Authorization: Bearer <key>' "
            "(or 'x-portkey-api-key: <key>').",
            param="authorization",
        )
    return options.api_key


def _target(options: RequestOptions, provider: Provider, deps: Deps) -> Target:
    base_url, pinned = deps.base_urls[provider.name], None
    if options.custom_host:
        # Only the caller's own key ever travels to a caller-chosen host.
        base_url, pinned = custom_hosts.check(
            options.custom_host, deps.settings.allowed_custom_hosts, deps.resolve_host
        )
    return Target(
        provider=provider.name,
        base_url=base_url,
        api_key=_require_key(options),
        pinned_ip=pinned,
        organization=options.openai_organization,
        project=options.openai_project,
        forward_headers=options.forward_headers,
    )


def generate(raw: bytes, headers: Mapping[str, str], trace: Trace, deps: Deps) -> ImageResult:
    """Validate, call the provider once, and return its answer in OpenAI's shape."""
    options = header_schema.parse(headers, deps.settings.default_provider, trace.trace_id)
    trace.metadata = options.metadata
    provider = providers.get(options.provider)
    trace.provider = provider.name
    _require_key(options)
    params: dict[str, Any] = loads_object(raw)
    load(_BODY_SCHEMA, params)
    request = resolve(provider.capabilities, params, raw)
    trace.request = request
    target = _target(options, provider, deps)
    trace.target = target.json_path
    call = provider.build_call(request, target)
    limit = deps.settings.read_timeout
    if options.timeout_ms is not None:
        limit = min(limit, options.timeout_ms / 1000)
    started = time.monotonic()
    try:
        reply = deps.transport.send(call, deps.settings.connect_timeout, limit)
    except (UpstreamTimeout, UpstreamUnavailable) as exc:
        timed_out = isinstance(exc, UpstreamTimeout) or exc.code == "upstream_connect_timeout"
        if timed_out and options.timeout_ms is not None and options.timeout_ms / 1000 <= limit:
            raise RequestTimeout(
                f"Request exceeded the timeout sent in the request: {options.timeout_ms}ms",
                provider=provider.name,
            ) from None
        exc.provider = provider.name
        raise
    except GatewayError as exc:
        exc.provider = exc.provider or provider.name
        raise
    finally:
        trace.upstream_ms = (time.monotonic() - started) * 1000
    return provider.parse_reply(reply)
