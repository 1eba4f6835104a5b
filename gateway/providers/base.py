"""The interface every provider package fills in; the pipeline never names a provider."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .capabilities import Capabilities


@dataclass(frozen=True)
class Provider:
    name: str
    capabilities: Capabilities
    build_call: Callable[[ImageRequest, Target], ProviderCall]
    # Turns any reply (2xx or not) into a client answer, or raises a GatewayError.
    parse_reply: Callable[[ProviderReply], ImageResult]
