"""Parse the ``x-portkey-*`` request headers and ``Authorization`` into RequestOptions.

Every value that may end up in an upstream header or a response header is checked
for printable ASCII here, before any network IO: requests raises a non-requests
``UnicodeEncodeError`` on other values, which would otherwise surface as a 500.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .. import headers as h
from ..errors import AuthenticationError, InvalidRequest
from ..models import RequestOptions
from ..strict_json import loads_object

_TOKEN = re.compile(r"^[\x21-\x7e]{1,4096}\Z")
_TRACE = re.compile(r"^[\x21-\x7e]{1,256}\Z")
_DIGITS = re.compile(r"[0-9]{1,7}")
_VALUE = re.compile(r"^[\x20-\x7e]{0,1024}\Z")
_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}\Z")
# A service-account JSON in a header: printable ASCII with spaces, bounded.
_JSON_VALUE = re.compile(r"^[\x20-\x7e]{1,16384}\Z")
# Portkey callers send the Entra token with or without its "Bearer " prefix.
_AD_TOKEN = re.compile(r"^(Bearer )?[\x21-\x7e]{1,8192}\Z")
_OPTION_PATTERNS = {"vertex_service_account_json": _JSON_VALUE, "azure_ad_token": _AD_TOKEN}
# The portkey-ai SDK always sends an Authorization header; without one of the user's it
# is this literal, and the user's key travels in x-portkey-api-key instead.
_PLACEHOLDER_TOKENS = frozenset({"OPENAI_API_KEY"})


def _safe(value: str, header: str, pattern: re.Pattern[str] = _VALUE) -> str:
    if not pattern.match(value):
        raise InvalidRequest(
            f"Header '{header}' must be printable ASCII of sensible length.", param=header
        )
    return value


def _bearer(headers: Mapping[str, str]) -> str | None:
    """The Authorization bearer token, or None for no header / the SDK placeholder."""
    auth = headers.get("authorization", "").strip()
    scheme, _, token = auth.partition(" ")
    is_bearer, token = scheme.lower() == "bearer", token.strip()
    if not auth or (is_bearer and token in _PLACEHOLDER_TOKENS):
        return None
    if not is_bearer or not token:
        raise AuthenticationError(
            "The Authorization header must be 'Bearer <key>'.",
            param="authorization",
            code="invalid_authorization_header",
        )
    return _safe(token, "authorization", _TOKEN)


def keys(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``(gateway key, provider key)``.

    A gateway key is recognised by its prefix wherever it arrives (``x-portkey-api-key``
    or ``Authorization``, which is where the OpenAI SDK puts its ``api_key``) and is never
    forwarded. Otherwise ``Authorization`` carries the provider key, and
    ``x-portkey-api-key`` does when ``Authorization`` is absent (Portkey's curl example).
    """
    gateway = provider = None
    bearer = _bearer(headers)
    if bearer is not None:
        if bearer.startswith(h.GATEWAY_KEY_PREFIX):
            gateway = bearer
        else:
            provider = bearer
    portkey = headers.get(h.API_KEY, "").strip()
    if portkey:
        portkey = _safe(portkey, h.API_KEY, _TOKEN)
        if portkey.startswith(h.GATEWAY_KEY_PREFIX):
            gateway = gateway or portkey
        elif provider is None:
            provider = portkey
    return gateway, provider


def utf8(raw: str, header: str) -> str:
    """WSGI hands header bytes over as latin-1; JSON inside a header is UTF-8."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise InvalidRequest(f"'{header}' must be UTF-8 JSON.", param=header) from None


def metadata(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    raw = utf8(raw, h.METADATA)
    if len(raw.encode("utf-8")) > h.METADATA_MAX_BYTES:
        raise InvalidRequest(
            f"'{h.METADATA}' must be at most {h.METADATA_MAX_BYTES} bytes.", param=h.METADATA
        )
    value = loads_object(raw, what=f"'{h.METADATA}' header", param=h.METADATA, max_depth=1)
    for key, item in value.items():
        if not isinstance(item, str) or len(item) > h.METADATA_MAX_VALUE or len(key) > 128:
            raise InvalidRequest(
                f"'{h.METADATA}' must map keys to strings of at most "
                f"{h.METADATA_MAX_VALUE} characters.",
                param=h.METADATA,
            )
    return value


def timeout_ms(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= h.TIMEOUT_MAX_MS:
        raise InvalidRequest(
            f"'{h.REQUEST_TIMEOUT}' must be a whole number of milliseconds between 1 and "
            f"{h.TIMEOUT_MAX_MS}.",
            param=h.REQUEST_TIMEOUT,
        )
    return int(text)


def forward_headers(raw: str | None, headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    if not raw or not raw.strip():
        return ()
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    if len(names) > h.FORWARD_MAX_HEADERS:
        raise InvalidRequest(
            f"'{h.FORWARD_HEADERS}' may name at most {h.FORWARD_MAX_HEADERS} headers.",
            param=h.FORWARD_HEADERS,
        )
    out = []
    for name in names:
        if not _NAME.match(name):
            raise InvalidRequest(
                f"'{h.FORWARD_HEADERS}' names an invalid header.", param=h.FORWARD_HEADERS
            )
        if name in h.NEVER_FORWARD or name.startswith(h.NEVER_FORWARD_PREFIXES):
            raise InvalidRequest(
                f"'{h.FORWARD_HEADERS}' may not forward '{name}': credentials, hop-by-hop "
                "and proxy headers never go upstream.",
                param=h.FORWARD_HEADERS,
            )
        value = headers.get(name)
        if value is not None:
            out.append((name, _safe(value, name)))
    return tuple(out)


def provider_options(headers: Mapping[str, str]) -> dict[str, str]:
    """``x-portkey-azure-resource-name`` and friends -> ``{"resource_name": ...}``."""
    options = {}
    for header, option in h.PROVIDER_OPTION_HEADERS.items():
        value = headers.get(header, "").strip()
        if value:
            options[option] = _safe(value, header, _OPTION_PATTERNS.get(option, _TOKEN))
    return options


def trace_id(raw: str | None) -> str:
    if raw is None or not raw.strip():
        return os.urandom(16).hex()
    return _safe(raw.strip(), h.TRACE_ID, _TRACE)


def provider(headers: Mapping[str, str], default: str | None) -> str | None:
    """``x-portkey-provider``, else ``default`` (None: ``GATEWAY_DEFAULT_PROVIDER=none``,
    so a request that names no provider is refused once its config is known).

    A header that is present but empty is a 400: it must not quietly mean the default.
    """
    raw = headers.get(h.PROVIDER)
    if raw is None:
        return default
    if not raw.strip():
        raise InvalidRequest(
            f"Header '{h.PROVIDER}' is empty: name a provider, or leave the header out.",
            param=h.PROVIDER,
            code="missing_provider",
        )
    return raw.strip().lower()


def parse(headers: Mapping[str, str], default_provider: str | None, trace: str) -> RequestOptions:
    """``headers`` must be case-insensitive (werkzeug's ``EnvironHeaders`` is)."""
    given = headers.get(h.TRACE_ID, "").strip()
    if given:
        _safe(given, h.TRACE_ID, _TRACE)  # malformed: reported, not silently replaced
    gateway_key, provider_key = keys(headers)
    org = headers.get(h.OPENAI_ORGANIZATION, "").strip()
    project = headers.get(h.OPENAI_PROJECT, "").strip()
    custom = headers.get(h.CUSTOM_HOST, "").strip()
    return RequestOptions(
        provider=provider(headers, default_provider),
        trace_id=trace,
        gateway_key=gateway_key,
        api_key=provider_key,
        metadata=metadata(headers.get(h.METADATA)),
        timeout_ms=timeout_ms(headers.get(h.REQUEST_TIMEOUT)),
        custom_host=_safe(custom, h.CUSTOM_HOST) if custom else None,
        openai_organization=_safe(org, h.OPENAI_ORGANIZATION, _TOKEN) if org else None,
        openai_project=_safe(project, h.OPENAI_PROJECT, _TOKEN) if project else None,
        forward_headers=forward_headers(headers.get(h.FORWARD_HEADERS), headers),
        config=utf8(headers.get(h.CONFIG, "").strip(), h.CONFIG) or None,
        virtual_key=headers.get(h.VIRTUAL_KEY, "").strip() or None,
        provider_options=provider_options(headers),
        cache_force_refresh=headers.get(h.CACHE_FORCE_REFRESH) is not None,
    )


def trace_id_or_new(raw: str | None) -> str:
    """Never raises: error answers need a trace id too (a bad one is reported by ``parse``)."""
    try:
        return trace_id(raw)
    except InvalidRequest:
        return os.urandom(16).hex()
