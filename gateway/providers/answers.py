"""Turning a provider's success answer into an ``ImageResult``. Pure: no IO.

Shared by every provider: the OpenAI-shaped family passes a body through untouched
when it already is what the caller asked for; everything else becomes a list of
``GeneratedImage`` that the gateway renders in one shape. A 2xx that is not an image
answer (an error inside a 200, an empty list) raises, so fallback moves on.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..errors import GatewayError, InvalidUpstreamResponse, ProviderError
from ..image_formats import sniff
from ..models import GeneratedImage, ImageRequest, ImageResult, ProviderReply
from .errors import clip, not_json, openai_style_error, passed_headers
from .outline import outline

# ``created`` above this is milliseconds (nscale), not seconds: year 5138 in seconds.
_MS_THRESHOLD = 100_000_000_000


def decode_json(name: str, reply: ProviderReply) -> Any:
    """The JSON of a 2xx answer, or an error that names the provider."""
    if not reply.content_type.endswith("json"):
        raise not_json(name, reply)
    try:
        return json.loads(reply.body)
    except (ValueError, RecursionError):
        raise invalid_answer(name, reply, "its body is not valid JSON") from None


def json_object(name: str, reply: ProviderReply) -> dict[str, Any]:
    """The JSON object of a 2xx answer; any other JSON (a list, a string) is invalid."""
    if not reply.content_type.endswith("json"):
        raise not_json(name, reply)
    return _object(name, reply, json.loads)


def invalid_answer(name: str, reply: ProviderReply, why: str) -> GatewayError:
    return InvalidUpstreamResponse(f"{name} answered HTTP {reply.status} but {why}.", provider=name)


def error_in_success(name: str, reply: ProviderReply, error: Any) -> GatewayError:
    """A provider that reports a failure inside a 2xx body: a 502 that names it."""
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        error = {}
    message = clip(error.get("message")) or "an error without a message"
    return ProviderError(
        f"{name} error: {message}",
        status=502,
        type=clip(error.get("type"), 64) or "upstream_error",
        code=clip(error.get("code"), 64) or "upstream_error_in_success",
        provider=name,
        headers=passed_headers(reply),
    )


def created_seconds(value: Any) -> int | None:
    """The provider's ``created`` in Unix seconds (milliseconds are converted)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value / 1000) if value > _MS_THRESHOLD else int(value)


def result(
    name: str,
    reply: ProviderReply,
    images: Iterable[GeneratedImage],
    created: int | None = None,
) -> ImageResult:
    items = tuple(images)
    if not items:
        raise invalid_answer(name, reply, "it holds no image")
    return ImageResult(200, headers=passed_headers(reply), images=items, created=created)


def b64_image(name: str, reply: ProviderReply, value: Any, **kw: Any) -> GeneratedImage:
    """A base64 image, checked: it decodes, and to an image (PNG, JPEG, WebP, GIF)."""
    if not isinstance(value, str) or not value:
        raise invalid_answer(name, reply, "an image is not a base64 string")
    try:
        head = binascii.a2b_base64(value[:64].encode(), strict_mode=True)
        binascii.a2b_base64(value.encode(), strict_mode=True)
    except (binascii.Error, ValueError):
        raise invalid_answer(name, reply, "an image is not valid base64") from None
    if sniff(head) == "bin":
        raise invalid_answer(name, reply, "an image is not a PNG, JPEG, WebP or GIF")
    return GeneratedImage(b64_json=value, **kw)


def raw_image(name: str, reply: ProviderReply) -> ImageResult:
    """A 2xx whose body is the image itself (``image/png`` and friends): one image."""
    if sniff(reply.body) == "bin":
        raise invalid_answer(name, reply, "its body is not a PNG, JPEG, WebP or GIF image")
    return result(name, reply, [GeneratedImage(data=reply.body, content_type=reply.content_type)])


def openai_item(name: str, reply: ProviderReply, item: Any) -> GeneratedImage:
    """One ``data`` entry of an OpenAI-shaped answer."""
    if not isinstance(item, dict):
        raise invalid_answer(name, reply, "a 'data' entry is not an object")
    revised = item.get("revised_prompt")
    revised = revised if isinstance(revised, str) else None
    if isinstance(item.get("b64_json"), str) and item["b64_json"]:
        return GeneratedImage(b64_json=item["b64_json"], revised_prompt=revised)
    if isinstance(item.get("url"), str) and item["url"]:
        return GeneratedImage(url=item["url"], revised_prompt=revised)
    raise invalid_answer(name, reply, "a 'data' entry has neither 'url' nor 'b64_json'")


def _has(image: GeneratedImage, fmt: str) -> bool:
    return bool(image.url if fmt == "url" else image.b64_json)


def openai_compatible(
    name: str, reply: ProviderReply, request: ImageRequest, native: tuple[str, ...]
) -> ImageResult:
    """An OpenAI-shaped provider's reply.

    When the provider natively answers in the asked format, a complete, well-formed
    body goes through byte for byte (checked by ``outline``, without parsing its
    base64); otherwise (gpt-image asked for ``url``, a body in the other format) it is
    parsed into images for the gateway to render.
    """
    if not 200 <= reply.status < 300:
        raise openai_style_error(name, reply)
    if not reply.content_type.endswith("json"):
        raise not_json(name, reply)
    fmt = request.response_format
    if fmt in native:
        data = _object(name, reply, outline)
        images = _images(name, reply, data)
        if all(_has(image, fmt) for image in images) and _created_ok(data):
            return ImageResult(
                reply.status,
                reply.body,
                passed_headers(reply),
                size=_said(data.get("size")),
                quality=_said(data.get("quality")),
                body_images=len(images),
            )
    return images_from(name, reply, json_object(name, reply))  # the images are needed


def images_from(name: str, reply: ProviderReply, data: dict[str, Any]) -> ImageResult:
    """An OpenAI-shaped answer's JSON read into images, with its ``created``, ``size`` and
    ``quality``; an error inside a 2xx, or no usable image, raises naming ``name``.
    Also reads the bodies a fan-out's calls passed through, since their merge is rendered
    anew: one reading for both, so they cannot disagree on what an answer holds."""
    parsed = result(name, reply, _images(name, reply, data), created_seconds(data.get("created")))
    return replace(parsed, size=_said(data.get("size")), quality=_said(data.get("quality")))


def _object(name: str, reply: ProviderReply, parse: Callable[[bytes], Any]) -> dict[str, Any]:
    try:
        data = parse(reply.body)
    except (ValueError, RecursionError):
        raise invalid_answer(name, reply, "its body is not valid JSON") from None
    if not isinstance(data, dict):
        raise invalid_answer(name, reply, "its body is not a JSON object")
    return data


def _images(name: str, reply: ProviderReply, data: dict[str, Any]) -> list[GeneratedImage]:
    """The ``data`` entries; an error inside a 2xx, or no image at all, raises."""
    if data.get("error") and not data.get("data"):
        raise error_in_success(name, reply, data["error"])
    items = data.get("data")
    if not isinstance(items, list):
        raise invalid_answer(name, reply, "its body has no 'data' list")
    if not items:
        raise invalid_answer(name, reply, "it holds no image")
    return [openai_item(name, reply, item) for item in items]


def _created_ok(data: dict[str, Any]) -> bool:
    """OpenAI's ``created`` is whole Unix seconds; anything else is rendered afresh."""
    created = data.get("created")
    return type(created) is int and 0 < created <= _MS_THRESHOLD


def _said(value: Any) -> str | None:
    """A ``size`` or ``quality`` the answer states, if it is a short string."""
    return value if isinstance(value, str) and 0 < len(value) <= 32 else None
