"""The interface every provider package fills in; the pipeline never names a provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .capabilities import Capabilities
from .pricing import no_price

# (provider key, provider options) -> None when the target can be called, else what
# is missing, said to the caller ("an AWS access key id and secret").
CredentialCheck = Callable[[str | None, Mapping[str, str]], str | None]


def api_key_required(api_key: str | None, options: Mapping[str, str]) -> str | None:
    return None if api_key else "a provider API key"


@dataclass(frozen=True)
class Provider:
    """One provider: its declared limits and its pure request/answer transforms.

    ``parse_reply`` turns any reply (2xx or not) into an ``ImageResult`` or raises a
    ``GatewayError``; a 2xx that is not a usable image answer must raise too, so
    fallback moves on. ``local`` answers without any network (the placeholder).
    ``image_hosts`` are the host names (or ``.suffix`` for subdomains) the provider
    serves its image URLs from: the only hosts the gateway fetches from to inline an
    image as base64, besides the host the call itself went to. ``price`` is the
    provider's price of one image for a request in micro-USD (its ``pricing.py``), or
    None when none is published for that model, size and quality.
    """

    name: str
    capabilities: Capabilities
    build_call: Callable[[ImageRequest, Target], ProviderCall]
    parse_reply: Callable[[ProviderReply, ImageRequest], ImageResult]
    credentials: CredentialCheck = api_key_required
    image_hosts: tuple[str, ...] = ()
    local: Callable[[ImageRequest, Target], ImageResult] | None = None
    price: Callable[[ImageRequest], int | None] = no_price
