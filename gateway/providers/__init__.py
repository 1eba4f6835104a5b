"""Provider registry. Transforms here and below are pure: no IO, no Flask, no requests."""

from __future__ import annotations

from ..errors import UnknownProvider
from . import openai, placeholder
from .base import Provider

REGISTRY: dict[str, Provider] = {p.name: p for p in (openai.PROVIDER, placeholder.PROVIDER)}


def get(name: str) -> Provider:
    try:
        return REGISTRY[name]
    except KeyError:
        shown = name if len(name) <= 64 and name.isprintable() else name[:61] + "..."
        raise UnknownProvider(
            f"Unknown provider {shown!r}; supported providers: {', '.join(sorted(REGISTRY))}.",
            param="x-portkey-provider",
        ) from None
