"""The last step: one answer shape in the format the caller asked for.

A provider's images arrive as base64, raw bytes or URLs. ``url`` asked and only
bytes given: the gateway stores the image and links to itself (``image_store``).
``b64_json`` asked and only a URL given: the gateway fetches the image, but only
from the host the call went to or a host the provider declares for its images,
over https to a public address (the fetch is pinned like a custom host), bounded
in size and time like any provider answer.

The body is joined from its parts, byte for byte what ``json.dumps`` would write, so
that a cache hit's stored base64 text is copied into it once and never escaped or
re-encoded (``StoredImage``).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import GatewayError, InvalidUpstreamResponse
from ..image_formats import sniff
from ..models import GeneratedImage, ImageRequest, ImageResult, ProviderCall
from ..settings import Settings
from . import custom_hosts
from .image_store import ImageStore
from .transport import Transport

_FETCH_HEADERS = {"Accept": "image/*"}


@dataclass(frozen=True)
class Origin:
    """Where the successful call went: its images may be fetched from there too."""

    provider: str
    image_hosts: tuple[str, ...]
    base: str  # scheme://host:port of the call
    pinned_ip: str | None


@dataclass(frozen=True)
class StoredImage(GeneratedImage):
    """An image of a cache hit, as the base64 text the cache stored: checked against its
    content address when read, so it holds the base64 alphabet only and goes into a
    ``b64_json`` answer as is (no decoding, encoding or JSON escaping). ``hosted`` is the
    name the image store gives its bytes: a ``url`` hit links to that file while it is
    there, without reading the image; ``read`` gives the text when it is needed."""

    read: Callable[[], bytes] = field(kw_only=True, repr=False, compare=False)
    hosted: str | None = field(default=None, kw_only=True)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


@dataclass(frozen=True)
class Delivery:
    settings: Settings
    transport: Transport
    store: ImageStore
    resolve_host: custom_hosts.Resolver = custom_hosts.system_resolver
    clock: Callable[[], float] = time.time

    def render(
        self, result: ImageResult, request: ImageRequest, origin: Origin, public_url: str
    ) -> ImageResult:
        """``{"created", "data", ...}`` in the format asked for, the answer's other
        top-level fields (``extra``) after ``created`` and ``data``."""
        if result.images is None:
            return result
        fmt = request.response_format
        parts = [b'{"created":', _json(result.created or int(self.clock())), b',"data":[']
        for n, image in enumerate(result.images):
            if n:
                parts.append(b",")
            parts += self._item(image, fmt, origin, public_url)
        parts.append(b"]")
        for k, v in result.extra.items():
            if k not in ("created", "data"):
                parts += (b",", _json(k), b":", _json(v))
        parts.append(b"}")
        return ImageResult(result.status, b"".join(parts), result.headers)

    def _item(
        self, image: GeneratedImage, fmt: str, origin: Origin, public_url: str
    ) -> list[bytes]:
        """One ``data`` item as JSON, in parts."""
        if isinstance(image, StoredImage):
            return self._stored(image, fmt, public_url)
        item: dict[str, Any] = {}
        if fmt == "url":
            if image.url:
                item["url"] = image.url
            else:
                name, expires = self.store.put(_bytes(image, origin.provider))
                item["url"] = self.store.link(public_url, name, expires)
        elif image.b64_json:
            item["b64_json"] = image.b64_json
        elif image.data is not None:
            item["b64_json"] = base64.b64encode(image.data).decode()
        else:
            fetched = self.fetch(image.url or "", origin)
            item["b64_json"] = base64.b64encode(fetched).decode()
        if image.revised_prompt is not None:
            item["revised_prompt"] = image.revised_prompt
        return [_json(item)]

    def _stored(self, image: StoredImage, fmt: str, public_url: str) -> list[bytes]:
        """A cache hit's item: a link to the hosted file, or the stored text as it is."""
        if fmt == "url":
            parts = [b'{"url":', _json(self.store.link(public_url, *self._hosted(image)))]
        else:
            parts = [b'{"b64_json":"', image.read(), b'"']
        if image.revised_prompt is not None:
            parts += (b',"revised_prompt":', _json(image.revised_prompt))
        parts.append(b"}")
        return parts

    def _hosted(self, image: StoredImage) -> tuple[str, int]:
        """The hosted file of a hit's image and its link's expiry: the file it was hosted
        as if still there (not read), else the image hosted again from its text."""
        if image.hosted is not None:
            expires = self.store.reuse(image.hosted)
            if expires is not None:
                return image.hosted, expires
        try:
            text = image.read()
        except (OSError, ValueError):  # evicted since the lookup, along with its hosted file
            raise GatewayError(
                "The gateway could not read a cached image; retry the request.",
                code="cache_read_failed",
            ) from None
        return self.store.put(base64.b64decode(text))

    def image_bytes(self, image: GeneratedImage, origin: Origin) -> bytes:
        """The bytes of one image however the provider gave it; a URL is fetched (checked)."""
        if image.data is not None or image.b64_json:
            return _bytes(image, origin.provider)
        return self.fetch(image.url or "", origin)

    def fetch(self, url: str, origin: Origin) -> bytes:
        """GET an image the provider linked to: only from the call's host or a host it
        declares, pinned, bounded, and it must be an image."""
        pinned = self._allowed(url, origin)
        call = ProviderCall("GET", url, dict(_FETCH_HEADERS), b"", pinned)
        settings = self.settings
        try:
            reply = self.transport.send(call, settings.connect_timeout, settings.read_timeout)
        except GatewayError as exc:
            raise _fetch_failed(origin.provider, exc.message) from None
        if reply.status != 200:
            raise _fetch_failed(origin.provider, f"its image host answered HTTP {reply.status}")
        if sniff(reply.body) == "bin":
            raise _fetch_failed(origin.provider, "the file is not a PNG, JPEG, WebP or GIF image")
        return reply.body

    def _allowed(self, url: str, origin: Origin) -> str | None:
        """The pinned address to fetch ``url`` from, or an error if its host is not allowed."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            same_origin = origin_of(url) == origin.base
        except ValueError:
            raise _fetch_failed(origin.provider, "its image URL is not valid") from None
        if same_origin:
            return origin.pinned_ip
        declared = any(
            host == h or (h.startswith(".") and host.endswith(h)) for h in origin.image_hosts
        )
        if parts.scheme != "https" or not declared or parts.username or parts.password:
            raise _fetch_failed(origin.provider, "its image URL is on a host it does not declare")
        try:
            return custom_hosts.public_address(host, parts.port or 443, self.resolve_host)
        except GatewayError:
            raise _fetch_failed(origin.provider, "its image host is not a public address") from None


def _json(value: Any) -> bytes:
    """One JSON value as the body writes it: UTF-8, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _bytes(image: GeneratedImage, provider: str) -> bytes:
    if image.data is not None:
        return image.data
    try:
        return base64.b64decode(image.b64_json or "", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidUpstreamResponse(
            f"{provider} answered with an image that is not valid base64.", provider=provider
        ) from None


def _fetch_failed(provider: str, why: str) -> GatewayError:
    return InvalidUpstreamResponse(
        f"The image from {provider} could not be fetched to return it as b64_json: {why}.",
        provider=provider,
        code="image_fetch_failed",
    )
