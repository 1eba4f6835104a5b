"""The interface every provider package fills in; the pipeline never names a provider."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..models import (
    EDITS,
    GENERATIONS,
    VARIATIONS,
    ImageRequest,
    ImageResult,
    ProviderCall,
    ProviderReply,
    Target,
)
from .capabilities import Capabilities
from .options import FIELD_VALUE
from .pricing import no_price

# (provider key, provider options) -> None when the target can be called, else what
# is missing, said to the caller ("an AWS access key id and secret").
CredentialCheck = Callable[[str | None, Mapping[str, str]], str | None]


def api_key_required(api_key: str | None, options: Mapping[str, str]) -> str | None:
    return None if api_key else "a provider API key"


@dataclass(frozen=True)
class KeyField:
    """A field an administrator may store with a virtual key of the provider (Portkey's
    name) and the values it may hold: it becomes part of an upstream URL or header, so it
    is set by the administrator and checked strictly, never taken from the caller (SEC-2)."""

    name: str
    value: re.Pattern[str] = FIELD_VALUE


@dataclass(frozen=True)
class ServiceAccount:
    """The provider's key may be a Google service-account JSON, which the signer
    (``gateway/outbound/signing.py``) exchanges for an OAuth token just before sending,
    and which the pre-flight checks before the first call of a request.

    ``option`` is the option that carries the JSON (named in refusals); ``text`` gives
    the JSON a target's (provider key, options) put in play, if any.
    """

    option: str
    text: Callable[[str | None, Mapping[str, str]], str | None]


@dataclass(frozen=True)
class Operation:
    """How a provider serves one route: image generations, edits or variations.

    ``capabilities`` is the model table of that route (its ``default_model`` is the
    model used when the caller names none); ``build_call`` and ``parse_reply`` are
    the pure transforms, ``price`` the price of one image (None: unknown). For edits
    and variations the ``ImageRequest`` carries ``images`` and ``mask`` (checked
    uploads) and ``params`` holds the form's text fields, typed.
    """

    capabilities: Capabilities
    build_call: Callable[[ImageRequest, Target], ProviderCall]
    parse_reply: Callable[[ProviderReply, ImageRequest], ImageResult]
    price: Callable[[ImageRequest], int | None] = no_price


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
    None when none is published for that model, size and quality. ``virtual_key_fields``
    are the fields its virtual keys may carry; ``service_account`` says whether (and
    where) its key may be a Google service account.
    """

    name: str
    capabilities: Capabilities
    build_call: Callable[[ImageRequest, Target], ProviderCall]
    parse_reply: Callable[[ProviderReply, ImageRequest], ImageResult]
    credentials: CredentialCheck = api_key_required
    image_hosts: tuple[str, ...] = ()
    local: Callable[[ImageRequest, Target], ImageResult] | None = None
    price: Callable[[ImageRequest], int | None] = no_price
    virtual_key_fields: tuple[KeyField, ...] = ()
    service_account: ServiceAccount | None = None
    # Image edits and variations; None: the provider has no such API (a fallback skips
    # it, naming the reason; a request for it alone is a 400).
    edits: Operation | None = None
    variations: Operation | None = None

    def serving(self, operation: str) -> Operation | None:
        """The transforms of ``operation`` (``models.GENERATIONS``, ``EDITS``, ...)."""
        if operation == EDITS:
            return self.edits
        if operation == VARIATIONS:
            return self.variations
        if operation != GENERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        return self._generations

    def __post_init__(self) -> None:
        # Built once: every request asks for it.
        generations = Operation(self.capabilities, self.build_call, self.parse_reply, self.price)
        object.__setattr__(self, "_generations", generations)
