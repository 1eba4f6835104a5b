"""Between an answer and a cache entry: the bytes of every image, and back.

A provider's answer holds base64, raw bytes or URLs, or (for the OpenAI-shaped
family) the provider's body passed through untouched. An entry keeps bytes only,
because a provider's URL expires (OpenAI's after an hour) while the entry may live a
day; a hit is then rendered like any base64 answer: inline, or hosted behind a
signed link of the gateway's own. A passed-through body's other top-level fields
(gpt-image's ``usage``, ``size``, ``quality``, ``output_format``, ``background``) are
kept with the entry and rendered after ``created`` and ``data``, so a hit has the
same fields as the miss had.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..delivery import Origin
from ..models import GeneratedImage, ImageResult, ProviderReply
from ..providers.answers import created_seconds, invalid_answer, openai_item
from .store import CachedImage, Entry, content_type

# (image, where its call went) -> its bytes; Delivery.image_bytes decodes or fetches.
ImageBytes = Callable[[GeneratedImage, Origin], bytes]


# A passed-through body's fields that the gateway renders itself on a hit.
_RENDERED = ("created", "data")


def images_of(result: ImageResult, provider: str) -> tuple[tuple[GeneratedImage, ...], int | None]:
    """The images of an answer and its ``created``, parsing a passed-through body."""
    images, created, _ = _parts(result, provider)
    return images, created


def _parts(
    result: ImageResult, provider: str
) -> tuple[tuple[GeneratedImage, ...], int | None, dict[str, Any]]:
    """Images, ``created`` and the other top-level fields (gpt-image's ``usage``, ``size``,
    ``output_format``, ...) of an answer; a passed-through body is parsed."""
    if result.images is not None:
        return result.images, result.created, dict(result.extra)
    reply = ProviderReply(result.status, {}, result.body)
    try:
        data: Any = json.loads(result.body)
    except (ValueError, RecursionError):
        raise invalid_answer(provider, reply, "its body is not valid JSON") from None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise invalid_answer(provider, reply, "its body has no 'data' list")
    images = tuple(openai_item(provider, reply, item) for item in items)
    extra = {k: v for k, v in data.items() if k not in _RENDERED}
    return images, created_seconds(data.get("created")), extra


def to_entry(
    result: ImageResult, origin: Origin, image_bytes: ImageBytes, clock: Callable[[], float]
) -> tuple[Entry, ImageResult]:
    """The entry to store, and the answer to send on (its images now carry their bytes,
    so a ``b64_json`` answer of a URL-only provider is not fetched twice)."""
    images, created, extra = _parts(result, origin.provider)
    filled = tuple(replace(image, data=image_bytes(image, origin)) for image in images)
    entry = Entry(
        created or int(clock()),
        tuple(
            CachedImage(
                image.data or b"",
                content_type(image.data or b"", image.content_type),
                image.revised_prompt,
            )
            for image in filled
        ),
        extra,
    )
    if result.images is not None:
        result = replace(result, images=filled)
    return entry, result


def from_entry(entry: Entry) -> ImageResult:
    """A hit: the stored bytes, rendered by the gateway in the format asked for."""
    images = tuple(
        GeneratedImage(
            data=image.data, content_type=image.content_type, revised_prompt=image.revised_prompt
        )
        for image in entry.images
    )
    return ImageResult(200, images=images, created=entry.created, extra=entry.extra)
