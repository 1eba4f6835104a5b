"""Between an answer and a cache entry: every image as base64 text, and back.

A provider's answer holds base64, raw bytes or URLs, or (for the OpenAI-shaped
family) the provider's body passed through untouched. An entry keeps the images
themselves, because a provider's URL expires (OpenAI's after an hour) while the
entry may live a day. It keeps them as base64 text holding the base64 alphabet only
(the provider's own text once it decodes strictly, else the bytes encoded once), which
a hit asked as ``b64_json`` copies into its answer as is; asked as ``url``, a hit links
to the file the image store holds under the name recorded with the entry, and reads
the text only to host it again once that file has expired. A passed-through body's
other top-level fields (gpt-image's ``usage``, ``size``, ``quality``,
``output_format``, ``background``) are kept with the entry and rendered after
``created`` and ``data``, so a hit has the same fields as the miss had.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..models import GeneratedImage, ImageResult, ProviderReply
from ..outbound.delivery import Origin, StoredImage
from ..providers.answers import created_seconds, invalid_answer, openai_item
from .store import CachedImage, Entry, content_type

# (image, where its call went) -> its bytes; Delivery.image_bytes decodes or fetches.
ImageBytes = Callable[[GeneratedImage, Origin], bytes]
# An image's bytes -> the name the image store hosts them under (``image_store.namer``).
HostedName = Callable[[bytes], str]


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
    result: ImageResult,
    origin: Origin,
    image_bytes: ImageBytes,
    clock: Callable[[], float],
    hosted_name: HostedName | None = None,
) -> tuple[Entry, ImageResult]:
    """The entry to store, and the answer to send on (its images now carry their bytes,
    so a ``b64_json`` answer of a URL-only provider is not fetched twice). ``hosted_name``
    is given for an answer asked as ``url``: its hits link to hosted files."""
    images, created, extra = _parts(result, origin.provider)
    read = [(image, *_text_and_bytes(image, origin, image_bytes)) for image in images]
    filled = tuple(replace(image, data=data) for image, _, data in read)
    entry = Entry(
        created or int(clock()),
        tuple(
            CachedImage(
                text,
                content_type(data, image.content_type),
                image.revised_prompt,
                hosted_name(data) if hosted_name is not None else None,
            )
            for image, text, data in read
        ),
        extra,
    )
    if result.images is not None:
        result = replace(result, images=filled)
    return entry, result


def _text_and_bytes(
    image: GeneratedImage, origin: Origin, image_bytes: ImageBytes
) -> tuple[bytes, bytes]:
    """An image's base64 text (the alphabet only: hits copy it into JSON unescaped) and
    bytes. The provider's own text is kept once it decodes strictly (``validate`` refuses
    any other character), which spares encoding 1.5 MB again on every miss."""
    if image.data is None and image.b64_json:
        text = image.b64_json.encode()
        return text, base64.b64decode(text, validate=True)  # binascii.Error: not cached
    data = image_bytes(image, origin)
    return base64.b64encode(data), data


def from_entry(entry: Entry, read: Callable[[str], bytes]) -> ImageResult:
    """A hit: the stored images, rendered by the gateway in the format asked for; an
    image ``get`` did not read (a ``url`` hit) is read with ``read`` only if needed."""
    images = tuple(
        StoredImage(
            content_type=image.content_type,
            revised_prompt=image.revised_prompt,
            hosted=image.hosted,
            read=_reader(image, read),
        )
        for image in entry.images
    )
    return ImageResult(200, images=images, created=entry.created, extra=entry.extra)


def _reader(image: CachedImage, read: Callable[[str], bytes]) -> Callable[[], bytes]:
    text = image.text
    if text is None:
        return functools.partial(read, image.file)
    return lambda: text
