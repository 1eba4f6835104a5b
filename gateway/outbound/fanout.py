"""Fan-out: one attempt that asks a target for more images than one of its calls makes.

A capability table says how many images one call makes (``n_per_call``). A request
for more is split into ceil(n / per call) calls to the same target, each asking for
its share, made in parallel (at most ``PARALLEL`` at once, each with the attempt's
timeout) and merged in call order: the images of call 0, then call 1, ...

If any call fails, the attempt fails as one (``failure``), so routing sees one
failed attempt of this target (retry, then fallback). A call is started only while
none has failed: after a failure no further call starts. The images the other calls
did make are not returned, but they were made and billed: the caller of :func:`run`
keeps them for the request log and the budget, also when a call raised.

The calls run on one bounded pool of threads per process (``POOL``), whose threads
live on and keep their pooled connections (``transport``) from one fan-out to the
next. ``split``, ``merge`` and ``failure`` are pure; ``run`` adds threads. Each call
runs in a copy of the caller's context, so the request's secrets stay known to the
scrubbing of log lines and error messages (``redact``).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..models import ImageRequest, ImageResult, ProviderCall, ProviderReply
from ..providers import answers
from ..routing.attempts import CONNECT, LOST, AttemptResult

# Calls of one fan-out in flight at once: enough to make 10 single-image calls in
# three rounds, few enough not to trip a provider's per-second limit.
PARALLEL = 4
# Threads making fan-out calls, per process, for every request at once. A request
# whose calls find them all busy waits its turn (within its attempt's time), so
# 32 request threads fanning out cannot start 128 threads and connections.
THREADS = 16
# A call is not sent with less of the attempt's time left than this: 0.5 s, or a
# quarter of a shorter attempt's time (a 500 ms ``request_timeout`` still calls).
MIN_CALL_S = 0.5
MIN_CALL_SHARE = 0.25

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
    raw = raw_body(params) if request.raw else b""  # an upload's form has no JSON body
    return replace(request, params=params, raw=raw, n=n)


def raw_body(params: dict[str, Any]) -> bytes:
    """The body a provider may forward when the gateway changed the caller's params (a
    config's ``override_params``, a call's share of ``n``): the caller's own bytes are
    kept otherwise, so this is the one place such a body is written."""
    return json.dumps(params, ensure_ascii=False, allow_nan=False).encode()


def time_left(limit: float, deadline: float | None, now: float | None = None) -> float | None:
    """Seconds a call may take: ``limit``, or for a fan-out's call what is left of the
    attempt's time (``deadline``, on ``time.monotonic``'s scale); None when too little
    is left for a provider to answer in: a call sent anyway is billed, then times out."""
    if deadline is None:
        return limit
    left = min(limit, deadline - (time.monotonic() if now is None else now))
    return left if left >= min(MIN_CALL_S, limit * MIN_CALL_SHARE) else None


class Pool:
    """One bounded executor per process, created on first use and anew after a fork
    (gunicorn forks workers; a forked child has none of its parent's threads). Its
    threads never submit to it themselves, so waiting on it cannot deadlock."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid = 0

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="fanout")
                self._pid = os.getpid()
            return self._executor


# The one object this module keeps: a pool is per process by nature (an app's
# ``Transport`` is per app), and it starts no thread until a fan-out needs one.
POOL = Pool(THREADS)


@dataclass
class Ran:
    """What :func:`run` saw: each call's result in order (None: never started), and
    the exceptions calls raised (our own refusals, never upstream failures), by call."""

    results: list[AttemptResult | None]
    errors: dict[int, BaseException] = field(default_factory=dict)

    @property
    def error(self) -> BaseException | None:
        """The first exception in call order, for the caller to re-raise once it has
        kept the images the other calls made."""
        return self.errors[min(self.errors)] if self.errors else None


def run(
    send: Callable[[T], AttemptResult],
    parts: Sequence[T],
    *,
    deadline: float,
    late: Callable[[T], AttemptResult],
    parallel: int = PARALLEL,
    pool: Pool = POOL,
    clock: Callable[[], float] = time.monotonic,
) -> Ran:
    """``send`` each part on the pool, at most ``parallel`` at once; the next is
    submitted only when one has succeeded. After a failure or an exception, calls still
    queued are cancelled and none is submitted. A call still queued when ``deadline``
    (on ``clock``'s scale) passes is not made: its result is ``late(part)``. Returns once
    no call of this request is running, so none outlives the request unseen."""
    ran = Ran([None] * len(parts))
    executor = pool.executor()
    running: dict[Future[AttemptResult], int] = {}
    queue = iter(range(len(parts)))

    def submit(count: int) -> None:
        for index in itertools.islice(queue, count):
            future = executor.submit(contextvars.copy_context().run, send, parts[index])
            running[future] = index

    submit(parallel)
    try:
        stopped = False
        while running:
            # Past the deadline, only calls already running are waited for: each is
            # bounded by the time it had left when it started.
            left = None if stopped else max(deadline - clock(), 0.0)
            done, _ = wait(running, timeout=left, return_when=FIRST_COMPLETED)
            if not done:  # the deadline passed while calls were queued behind others
                stopped = True
                _cancel(running, lambda i: late(parts[i]), ran.results)
                continue
            if _collect(done, running, ran) or stopped:
                stopped = True
                _cancel(running, lambda i: None, ran.results)
            else:
                submit(len(done))
    finally:  # only reached with calls running if this thread itself was interrupted
        for future in running:
            future.cancel()
    return ran


def _collect(
    done: set[Future[AttemptResult]], running: dict[Future[AttemptResult], int], ran: Ran
) -> bool:
    """Record the finished calls; True if one of them failed or raised."""
    failed = False
    for future in done:
        index = running.pop(future)
        error = future.exception()
        if error is not None:
            ran.errors[index] = error
            failed = True
            continue
        ran.results[index] = result = future.result()
        failed = failed or not result.ok
    return failed


def _cancel(
    running: dict[Future[AttemptResult], int],
    instead: Callable[[int], AttemptResult | None],
    results: list[AttemptResult | None],
) -> None:
    """Cancel the calls still queued (not started): each gets ``instead(index)``."""
    for future, index in list(running.items()):
        if future.cancel():
            del running[future]
            results[index] = instead(index)


def failure(results: Sequence[AttemptResult | None]) -> AttemptResult | None:
    """The attempt's result when a call failed, for routing's retry rules.

    The first failure in call order, unless it reached no provider (``connect``) while
    other calls did: a retry would then buy their images again, so the failure is that
    of the first call that reached the provider, or ``lost`` (not retried, falls back)
    when every other call succeeded. Not retried at all if any failed call says so
    (an exhausted quota, a broken 2xx)."""
    failed = [r for r in results if r is not None and not r.ok]
    if not failed:
        return None
    chosen = failed[0]
    if chosen.failure == CONNECT:
        reached = [r for r in failed if r.failure != CONNECT]
        if reached:
            chosen = reached[0]
        elif any(r is not None and r.ok for r in results):
            status = chosen.status or getattr(chosen.payload, "status", 502)
            chosen = replace(chosen, failure=LOST, status=status)
    return replace(chosen, no_retry=any(r.no_retry for r in failed))


def merge(results: Sequence[ImageResult], name: str) -> ImageResult:
    """One answer from every call's answer: images in call order; status, headers,
    ``created``, ``size`` and ``quality`` from the first call."""
    parsed = [as_images(result, name) for result in results]
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


def as_images(result: ImageResult, name: str) -> ImageResult:
    """``result`` with its images in hand: a body passed through untouched (OpenAI's
    shape, which is all that is passed through) is read into images, since a merged
    answer is rendered anew. An unreadable body raises, naming provider ``name``."""
    if result.images is not None:
        return result
    reply = ProviderReply(
        result.status, {**result.headers, "content-type": "application/json"}, result.body
    )
    read = answers.images_from(name, reply, answers.json_object(name, reply))
    return replace(
        result,
        body=b"",
        images=read.images,
        created=read.created,
        size=read.size,
        quality=read.quality,
    )
