"""Virtual keys: what an administrator may store with a provider secret. Pure: no IO.

Everything that later becomes part of an upstream URL or header (a base URL, the
fields each provider's folder declares: resources, deployments, regions, project
ids) is set here by the administrator and validated strictly, never taken from the
caller (SEC-2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..providers import REGISTRY
from ..settings import parse_allow_entry

# The providers a virtual key may name: those of the registry. Each provider's folder
# declares the fields its keys may carry and their values (``Provider.virtual_key_fields``).
KNOWN_PROVIDERS: tuple[str, ...] = tuple(REGISTRY)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_SECRET_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class VirtualKey:
    """A resolved virtual key: what the request path needs to call the provider."""

    name: str
    provider: str
    secret: str = field(repr=False)  # never in a repr, a log line or a traceback
    base_url: str | None
    fields: Mapping[str, str]


def check_name(value: str, what: str = "name") -> str:
    if not NAME.match(value):
        raise ValueError(f"{what} must be 1-64 letters, digits, '.', '_' or '-'")
    return value


def check_provider(provider: str) -> str:
    if provider not in REGISTRY:
        raise ValueError(f"unknown provider; known providers: {', '.join(sorted(REGISTRY))}")
    return provider


def check_fields(provider: str, pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` strings -> a dict, each key allowed for ``provider``, each value safe."""
    known = REGISTRY.get(provider)
    rules = {f.name: f.value for f in known.virtual_key_fields} if known else {}
    fields: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError("each --field must look like key=value")
        if key not in rules:
            hint = ", ".join(rules) or "none"
            raise ValueError(f"field {key!r} is not allowed for {provider} (allowed: {hint})")
        if key in fields:
            raise ValueError(f"field {key!r} is given twice")
        if not rules[key].match(value):
            raise ValueError(f"field {key!r} has an invalid value")
        fields[key] = value
    return fields


def check_base_url(url: str, allowed_hosts: Iterable[str] = ()) -> str:
    """An admin-set endpoint: https, a host, no credentials, query or fragment.

    ``http://`` only for an intranet server whose ``scheme://host[:port]`` is an entry of
    ``allowed_hosts`` (GATEWAY_ALLOWED_CUSTOM_HOSTS). Each request checks it again,
    with the custom hosts' address checks, so a key whose entry is later dropped is
    refused at use.
    """
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if len(url) > 2048 or parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError("base URL must be an https URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base URL must not contain credentials, a query or a fragment")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("base URL has an invalid port") from None
    if parts.scheme == "http" and not _allowed_http(url, parts.hostname, port, allowed_hosts):
        raise ValueError(
            "base URL must be https; http is allowed only for a scheme://host[:port] "
            "listed in GATEWAY_ALLOWED_CUSTOM_HOSTS"
        )
    return url


def _allowed_http(url: str, host: str, port: int, allowed_hosts: Iterable[str]) -> bool:
    if any(c in url for c in "\\%") or not url.isascii() or host.endswith("."):
        return False  # what a custom host may not hold either
    return ("http", host.lower(), port) in {parse_allow_entry(e) for e in allowed_hosts}


def check_secret(raw: str) -> str:
    """Trim surrounding whitespace; refuse empty, huge or control-character secrets."""
    secret = raw.strip()
    if not secret:
        raise ValueError("the secret is empty")
    if len(secret) > MAX_SECRET_CHARS:
        raise ValueError(f"the secret is longer than {MAX_SECRET_CHARS} characters")
    # Newlines stay allowed: some providers' credentials are JSON documents.
    if any((ord(c) < 32 and c not in "\n\r\t") or ord(c) == 127 for c in secret):
        raise ValueError("the secret contains control characters")
    return secret


def hint(secret: str) -> str:
    """Last 4 characters for display, and only when that leaves most of the secret hidden."""
    return secret[-4:] if len(secret) >= 16 else ""
