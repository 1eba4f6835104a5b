"""Provider registry. Transforms here and below are pure: no IO, no Flask, no requests.

Every sub-package that exposes ``PROVIDER`` is registered under ``PROVIDER.name``
(Portkey's provider id); adding a provider means adding its folder, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..errors import InvalidRequest, UnknownProvider
from .base import Operation, Provider


def _discover() -> dict[str, Provider]:
    found: dict[str, Provider] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        provider = getattr(importlib.import_module(f"{__name__}.{info.name}"), "PROVIDER", None)
        if isinstance(provider, Provider):
            found[provider.name] = provider
    return found


REGISTRY: dict[str, Provider] = _discover()


def get(name: str) -> Provider:
    try:
        return REGISTRY[name]
    except KeyError:
        shown = name if len(name) <= 64 and name.isprintable() else name[:61] + "..."
        raise UnknownProvider(
            f"Unknown provider {shown!r}; supported providers: {', '.join(sorted(REGISTRY))}.",
            param="x-portkey-provider",
        ) from None


def serving(provider: Provider, operation: str) -> Operation:
    """The provider's transforms for ``operation``; a 400 (a skip, in a fallback) when it
    has no such API."""
    served = provider.serving(operation)
    if served is None:
        raise InvalidRequest(
            f"Provider '{provider.name}' has no image {operation} API.",
            param="x-portkey-provider",
            code="operation_not_supported",
        )
    return served
