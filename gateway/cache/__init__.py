"""The simple image cache (config ``cache: {"mode": "simple", "max_age": S}``).

``keys`` (pure: what an entry is keyed on), ``store`` (the index and the images' text,
shared by every worker, and with PostgreSQL every instance), ``texts`` (where that text
lives: files, or the shared ``blobs`` table), ``rows`` (an index row's entry, checked),
``files`` (images as base64 text named by its SHA-256, checked when read), ``entries``
(answers to base64 text and back), ``image_cache`` (the lookup before a call and the
store after it).
"""

from __future__ import annotations

from .image_cache import (
    DEFAULT_MAX_AGE_S,
    DISABLED,
    HIT,
    MISS,
    REFRESH,
    ImageCache,
    RequestCache,
    open_cache,
)
from .store import CacheStore

__all__ = [
    "DEFAULT_MAX_AGE_S",
    "DISABLED",
    "HIT",
    "MISS",
    "REFRESH",
    "CacheStore",
    "ImageCache",
    "RequestCache",
    "open_cache",
]
