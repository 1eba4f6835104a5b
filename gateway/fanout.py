"""Fan-out: one attempt that asks a target for more images than one of its calls makes.

A capability table says how many images one call makes (``n_per_call``). A request
for more is split into ceil(n / per call) calls to the same target, each asking for
its share, made in parallel (at most ``PARALLEL`` at once, each with the attempt's
timeout) and merged in call order: the images of call 0, then call 1, ...

If any call fails, the attempt fails with the first failure in call order, so
routing sees one failed attempt of this target (retry, then fallback). Calls not
yet started when a failure arrives are not made. The images the other calls did
make are not returned, but they were made and billed: the caller of :func:`run`
keeps them for the request log and the budget.

``split``, ``merge`` and ``first_failure`` are pure; ``run`` adds threads. Each call
runs in a copy of the caller's context, so the request's secrets stay known to the
scrubbing of log lines and error messages (``redact``).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .errors import InvalidUpstreamResponse
from .models import GeneratedImage, ImageRequest, ImageResult, ProviderCall
from .routing.attempts import AttemptResult

# Calls of one fan-out in flight at once: enough to make 10 single-image calls in
# three rounds, few enough not to trip a provider's per-second limit.
PARALLEL = 4

T = TypeVar("T")


@dataclass(frozen=True)
class Part:
    """One call of a fan-out: the request for its share of the images, and its HTTP call."""

    request: ImageRequest
    call: ProviderCall


def shares(n: int, per_call: int | None) -> list[int]:
    """Images each call asks for: ``[4, 4, 2]`` for 10 at 4 per call; ``[n]`` for one call."""
    if per_call is None or per_call < 1 or n <= per_call:
        return [n]
    full, rest = divmod(n, per_call)
    return [per_call] * full + ([rest] if rest else [])


def split(request: ImageRequest, per_call: int | None) -> tuple[ImageRequest, ...]:
    """The request of each call; ``(request,)`` itself when one call makes them all."""
    counts = shares(request.n, per_call)
    if len(counts) == 1:
        return (request,)
    return tuple(_asking(request, n) for n in counts)


def _asking(request: ImageRequest, n: int) -> ImageRequest:
    """``request`` asking for ``n`` images, in its typed field and in the body a
    provider may forward (``params``, ``raw``), so every transform sees the share."""
    params = {**request.params, "n": n}
    raw = json.dumps(params, ensure_ascii=False, allow_nan=False).encode()
    return replace(request, params=params, raw=raw, n=n)


def run(
    send: Callable[[T], AttemptResult], parts: Sequence[T], parallel: int = PARALLEL
) -> list[AttemptResult | None]:
    """``send`` each part in parallel; each one's result in order, None for a call that
    was not started because another had failed. An exception raised by ``send`` (our own
    refusal, never an upstream failure) propagates, the first in call order."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(parts))))
    try:
        futures = [pool.submit(contextvars.copy_context().run, send, part) for part in parts]
        _until_first_failure(futures)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [None if future.cancelled() else future.result() for future in futures]


def _until_first_failure(futures: list[Future[AttemptResult]]) -> None:
    """Wait for every call, or only until one fails or raises."""
    for future in as_completed(futures):
        if future.exception() is not None or not future.result().ok:
            return


def first_failure(results: Sequence[AttemptResult | None]) -> AttemptResult | None:
    """The attempt's result when one call failed: the first failure in call order."""
    return next((r for r in results if r is not None and not r.ok), None)


def merge(results: Sequence[ImageResult]) -> ImageResult:
    """One answer from every call's answer: images in call order; status, headers,
    ``created``, ``size`` and ``quality`` from the first call."""
    parsed = [as_images(result) for result in results]
    first = parsed[0]
    images = tuple(image for result in parsed for image in result.images or ())
    return ImageResult(
        first.status,
        headers=dict(first.headers),
        images=images,
        created=first.created,
        size=first.size,
        quality=first.quality,
    )


def as_images(result: ImageResult) -> ImageResult:
    """``result`` with its images in hand: a body passed through untouched (OpenAI's
    shape) is read into images, since a merged answer is rendered anew."""
    if result.images is not None:
        return result
    try:
        data = json.loads(result.body)
    except (ValueError, RecursionError):
        data = None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise _unreadable("its body has no 'data' list")
    created = data.get("created")
    return replace(
        result,
        body=b"",
        images=tuple(_image(item) for item in items),
        created=created if isinstance(created, int) and not isinstance(created, bool) else None,
        size=_said(data.get("size")),
        quality=_said(data.get("quality")),
    )


def _image(item: Any) -> GeneratedImage:
    if not isinstance(item, dict):
        raise _unreadable("a 'data' entry is not an object")
    revised = item.get("revised_prompt")
    revised = revised if isinstance(revised, str) else None
    for key in ("b64_json", "url"):
        if isinstance(item.get(key), str) and item[key]:
            return GeneratedImage(**{key: item[key]}, revised_prompt=revised)
    raise _unreadable("a 'data' entry has neither 'url' nor 'b64_json'")


def _said(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 32 else None


def _unreadable(why: str) -> InvalidUpstreamResponse:
    return InvalidUpstreamResponse(f"The provider answered HTTP 200 but {why}.")
