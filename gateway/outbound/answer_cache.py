"""What a successful attempt hands back, and the cache as attempts see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..models import ImageRequest, ImageResult, Target
from ..routing.nodes import Leaf
from .delivery import Origin


@dataclass(frozen=True)
class Answered:
    """The payload of a successful attempt: the answer for the client."""

    request: ImageRequest
    result: ImageResult
    origin: Origin


class AnswerCache(Protocol):
    """One request's cache as the attempts use it (``gateway.cache.RequestCache``): a
    target's key, looked up before its calls; its answer stored once routing is done."""

    def key(
        self, provider: str, request: ImageRequest, target: Target, url: str | None
    ) -> str | None: ...

    def lookup(self, leaf: Leaf, key: str | None, response_format: str) -> ImageResult | None:
        """The cached answer, or None; records the target's cache status."""

    def save(self, leaf: Leaf, key: str | None, answered: Answered) -> Answered: ...

    def status_of(self, path: str) -> str:
        """``x-portkey-cache-status`` when the target at ``path`` gave the answer."""
