"""What one finished request adds to the metrics, as labels that never carry caller text.

``sample`` turns a finished request's ``Trace`` into label values and numbers. A
label is only ever a registered provider name (else ``unknown``), a model from that
provider's capability table (else ``other``), a numeric status, or a fixed word:
never a prompt, key, trace id, team or anything else a caller typed, because each
distinct label value is a new time series kept forever (and readable by whoever
scrapes).

Pure, and no prometheus_client: both ``metrics`` and ``instruments`` import it, and
it imports neither of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .. import providers
from ..models import EDITS, GENERATIONS, VARIATIONS

if TYPE_CHECKING:
    from ..models import ImageRequest

ROUTES = frozenset({GENERATIONS, EDITS, VARIATIONS})
UNKNOWN_PROVIDER = "unknown"
OTHER_MODEL = "other"
# x-portkey-cache-status -> label; DISABLED is not counted.
CACHE_RESULTS = {"HIT": "hit", "MISS": "miss", "REFRESH": "refresh"}


class Call(Protocol):
    """One attempt of a request, as the metrics read it (``AttemptRecord``)."""

    @property
    def path(self) -> str: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def started(self) -> float: ...
    @property
    def ended(self) -> float: ...
    @property
    def retry_index(self) -> int: ...
    @property
    def called(self) -> bool: ...


class Finished(Protocol):
    """A finished request, as the metrics read it (the pipeline's ``Trace``)."""

    @property
    def trace_id(self) -> str: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def request(self) -> ImageRequest | None: ...
    @property
    def attempts(self) -> Sequence[Call]: ...
    @property
    def cache_status(self) -> str: ...
    @property
    def cost_micro_usd(self) -> int | None: ...
    @property
    def images(self) -> int | None: ...
    @property
    def operation(self) -> str: ...


@dataclass(frozen=True)
class Sample:
    """What one request adds to the metrics; every string here is a safe label value."""

    route: str  # generations, edits or variations
    provider: str
    model: str
    status: str
    status_class: str
    duration_s: float
    upstream: tuple[tuple[str, float], ...]  # (provider, seconds) per upstream call
    retries: tuple[str, ...]  # the provider of each retry
    fallback: bool
    cache: str | None
    cost_usd: float | None
    images: int


def provider_label(name: str | None) -> str:
    return name if name is not None and name in providers.REGISTRY else UNKNOWN_PROVIDER


def model_label(provider: str, model: str | None, operation: str = GENERATIONS) -> str:
    """``model`` when the provider's table for the route lists it, else ``other``."""
    known = providers.REGISTRY.get(provider)
    served = known.serving(operation) if known is not None and operation in ROUTES else None
    if served is None or model is None or model not in served.capabilities.models:
        return OTHER_MODEL
    return model


def route_label(operation: str) -> str:
    return operation if operation in ROUTES else OTHER_MODEL


def sample(trace: Finished, status: int, duration_s: float) -> Sample:
    """The labels and numbers of one finished request (pure)."""
    provider = provider_label(trace.provider)
    calls = [a for a in trace.attempts if a.called]  # not skipped targets, not cache hits
    cost = trace.cost_micro_usd
    operation = route_label(trace.operation)
    return Sample(
        route=operation,
        provider=provider,
        model=model_label(provider, trace.request.model if trace.request else None, operation),
        status=str(int(status)),
        status_class=f"{int(status) // 100}xx",
        duration_s=max(duration_s, 0.0),
        upstream=tuple((provider_label(a.provider), max(a.ended - a.started, 0.0)) for a in calls),
        retries=tuple(provider_label(a.provider) for a in calls if a.retry_index > 0),
        fallback=len({a.path for a in trace.attempts}) > 1,
        cache=CACHE_RESULTS.get(trace.cache_status),
        cost_usd=cost / 1_000_000 if cost is not None else None,
        images=max(trace.images or 0, 0),
    )
