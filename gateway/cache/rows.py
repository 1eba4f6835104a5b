"""An index row's ``entry`` column: what a hit answers besides the images' text, as JSON.

Checked before any file it names is read, refreshed or unlinked: a file name that is
not ``<64 hex>.<ext>`` (a tampered ``../gateway.db``), a hosted name the image store
would not make, or a column that does not parse makes the row a logged miss.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..outbound import image_store

log = logging.getLogger("gateway.cache")
# The only file names a row may hold (``files.text_name``'s, or an older entry's raw
# image): never a path, never a dot file.
FILE = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,5}\Z")


@dataclass(frozen=True)
class CachedImage:
    """One image of an entry, as base64 text (ASCII). ``hosted``: the image store's name
    for its bytes (entries asked as ``url``), so that a hit can link to the hosted file
    without reading the image. Coming out of ``get``: ``file`` names it in the cache
    directory, and ``text`` is None when the hit did not read it (``read=False``)."""

    text: bytes | None = field(repr=False)
    content_type: str
    revised_prompt: str | None = None
    hosted: str | None = None
    file: str = field(default="", compare=False)


@dataclass(frozen=True)
class Entry:
    """What a hit serves: the original ``created``, the images, and the other
    top-level fields of a passed-through body (rendered after ``created`` and ``data``)."""

    created: int
    images: tuple[CachedImage, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


def dump(entry: Entry, names: list[str]) -> str:
    """The ``entry`` column: what a hit answers besides the images' text."""
    images = []
    for image, name in zip(entry.images, names, strict=True):
        item = {
            "file": name,
            "content_type": image.content_type,
            "revised_prompt": image.revised_prompt,
        }
        if image.hosted is not None:
            item["hosted"] = image.hosted
        images.append(item)
    body: dict[str, Any] = {"created": entry.created, "images": images}
    if entry.extra:
        body["extra"] = dict(entry.extra)
    return json.dumps(body, separators=(",", ":"))


def parse(key: str, text: Any) -> dict[str, Any] | None:
    """A row's entry, checked; None (logged) for one that is corrupt or was tampered with."""
    try:
        body = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        body = None
    if not _well_formed(body):
        log.warning("cache entry %s... is corrupt: skipped", str(key)[:12])
        return None
    result: dict[str, Any] = body
    return result


def _well_formed(body: Any) -> bool:
    if not isinstance(body, dict) or type(body.get("created")) is not int:
        return False
    images, extra = body.get("images"), body.get("extra", {})
    if not isinstance(images, list) or not isinstance(extra, dict):
        return False
    return all(
        isinstance(item, dict)
        and isinstance(item.get("file"), str)
        and FILE.match(item["file"]) is not None
        and isinstance(item.get("content_type"), str)
        and isinstance(item.get("revised_prompt"), str | None)
        and (item.get("hosted") is None or _hosted_name(item["hosted"]))
        for item in images
    )


def _hosted_name(name: Any) -> bool:
    """A name the image store would make: never a path (a hit refreshes that file)."""
    return isinstance(name, str) and image_store.NAME.match(name) is not None
