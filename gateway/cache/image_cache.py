"""The simple cache as the request path sees it: look up before a target's call, store after.

``ImageCache`` lives as long as the app; ``RequestCache`` holds one request's team,
its ``x-portkey-cache-force-refresh`` and the status of each target tried, so the
response reports the status of the target that answered. The cache never fails a
request: a broken store, a full disk or an image that cannot be fetched is logged
and the answer goes out uncached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GatewayError
from ..models import ImageRequest, ImageResult, Target
from ..outbound.image_store import namer
from ..routing.nodes import Leaf
from ..settings import Settings
from ..store import secrets as shared_secrets
from ..store.cache_index import ERRORS
from ..store.database import Database
from .entries import HostedName, ImageBytes, from_entry, to_entry
from .keys import cache_key, identity, split_url
from .store import CacheStore, Meta

if TYPE_CHECKING:
    from ..outbound.upstream import Answered

log = logging.getLogger("gateway.cache")

HIT, MISS, REFRESH, DISABLED = "HIT", "MISS", "REFRESH", "DISABLED"
# Portkey's documented default lifetime of an entry (its hosted docs give max_age in seconds).
DEFAULT_MAX_AGE_S = 86_400
# A store that cannot be read or written, a corrupt row, an image that cannot be fetched.
_BROKEN = (*ERRORS, OSError, ValueError, KeyError, TypeError, GatewayError)


@dataclass(frozen=True)
class ImageCache:
    store: CacheStore
    secret: bytes = field(repr=False)  # HMAC key for the credentials' identity
    image_bytes: ImageBytes
    clock: Callable[[], float] = time.time
    # Names of hosted files (the image store's), recorded with entries asked as ``url``.
    hosted_name: HostedName | None = None

    def scope(self, team: str | None, refresh: bool) -> RequestCache:
        return RequestCache(self, team, refresh)


def open_cache(
    settings: Settings,
    database: Database,
    image_bytes: ImageBytes,
    shared: shared_secrets.SharedSecrets | None = None,
) -> ImageCache:
    """The app's cache: the index in the store, the images' text in files (SQLite) or
    the shared ``blobs`` table (PostgreSQL). Its key and the signing key come from
    ``shared`` (``gateway.store.secrets``; loaded here when not given): hosted files are
    named as the image store names them."""
    if shared is None:
        shared = shared_secrets.load(settings, database)
    store = CacheStore(database, Path(settings.cache_dir), settings.cache_max_mb << 20)
    hosted = namer(shared.url_signing_key)
    return ImageCache(store, shared.cache_key, image_bytes, hosted_name=hosted)


@dataclass
class RequestCache:
    cache: ImageCache
    team: str | None
    refresh: bool
    statuses: dict[str, str] = field(default_factory=dict)

    def status_of(self, path: str) -> str:
        """``x-portkey-cache-status`` when the target at ``path`` gave the answer."""
        return self.statuses.get(path, DISABLED)

    def key(
        self, provider: str, request: ImageRequest, target: Target, url: str | None
    ) -> str | None:
        """The entry's key; None when the request cannot be keyed (never expected)."""
        endpoint, query = split_url(url) if url else (f"local:{provider}", "")
        try:
            who = identity(self.cache.secret, target, query)
            return cache_key(
                team=self.team, provider=provider, endpoint=endpoint, request=request, identity=who
            )
        except (TypeError, ValueError):  # a parameter JSON cannot hold: do not cache
            return None

    def lookup(
        self, leaf: Leaf, key: str | None, response_format: str = "b64_json"
    ) -> ImageResult | None:
        """The cached answer, or None (the status says why: MISS or REFRESH). Asked as
        ``b64_json``, its images' text is read (and checked) here, so a missing or corrupt
        file is a miss; asked as ``url``, only if its hosted file has gone."""
        settings = leaf.cache
        # Only "simple" stores; "semantic" is accepted and always misses, as in Portkey.
        self.statuses[leaf.path] = REFRESH if self.refresh else MISS
        if settings is None or settings.mode != "simple" or self.refresh or key is None:
            return None
        try:
            max_age = settings.max_age or DEFAULT_MAX_AGE_S
            entry = self.cache.store.get(key, max_age, read=response_format != "url")
        except _BROKEN as exc:
            log.warning("cache lookup failed, calling the provider: %s", type(exc).__name__)
            return None
        if entry is None:
            return None
        self.statuses[leaf.path] = HIT
        return from_entry(entry, self.cache.store.text)

    def save(self, leaf: Leaf, key: str | None, answered: Answered) -> Answered:
        """Store a successful answer; return it with its images' bytes filled in.

        Called once routing has chosen the answer (``Attempts.save``), so the attempt's
        upstream latency is the provider's alone, not this fetching and writing."""
        settings = leaf.cache
        if settings is None or settings.mode != "simple" or key is None:
            return answered
        request = answered.request
        # The key holds the response format: only a ``url`` entry is ever hit as ``url``.
        hosted = self.cache.hosted_name if request.response_format == "url" else None
        try:
            entry, result = to_entry(
                answered.result, answered.origin, self.cache.image_bytes, self.cache.clock, hosted
            )
            meta = Meta(self.team, answered.origin.provider, request.model)
            self.cache.store.put(key, meta, entry, settings.max_age or DEFAULT_MAX_AGE_S)
        except _BROKEN as exc:
            log.warning("answer not cached: %s", getattr(exc, "message", type(exc).__name__))
            return answered
        return replace(answered, result=result)
