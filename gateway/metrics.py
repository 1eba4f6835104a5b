"""Prometheus metrics for image requests, with labels that never carry caller text.

``sample`` turns a finished request's ``Trace`` into label values and numbers. A
label is only ever a registered provider name (else ``unknown``), a model from that
provider's capability table (else ``other``), a numeric status, or a fixed word:
never a prompt, key, trace id, team or anything else a caller typed, because each
distinct label value is a new time series kept forever (and readable by whoever
scrapes).

prometheus_client chooses between in-process values and gunicorn's multiprocess files
(``PROMETHEUS_MULTIPROC_DIR``) once, when it is first imported. gunicorn.conf.py sets
that variable only after reading the settings, and reading the settings imports this
package; so this module does not import prometheus_client: ``init_app`` loads
``gateway.instruments`` lazily, inside the app factory.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

from . import providers

if TYPE_CHECKING:
    from .admission import Admission
    from .instruments import Instruments
    from .pipeline import Trace
    from .settings import Settings

log = logging.getLogger("gateway.metrics")
EXTENSION = "gateway.metrics"
UNKNOWN_PROVIDER = "unknown"
OTHER_MODEL = "other"
# x-portkey-cache-status -> label; DISABLED is not counted.
CACHE_RESULTS = {"HIT": "hit", "MISS": "miss", "REFRESH": "refresh"}


@dataclass(frozen=True)
class Sample:
    """What one request adds to the metrics; every string here is a safe label value."""

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


def model_label(provider: str, model: str | None) -> str:
    known = providers.REGISTRY.get(provider)
    if known is None or model is None or model not in known.capabilities.models:
        return OTHER_MODEL
    return model


def sample(trace: Trace, status: int, duration_s: float) -> Sample:
    """The labels and numbers of one finished request (pure)."""
    provider = provider_label(trace.provider)
    calls = [a for a in trace.attempts if a.called]  # not skipped targets, not cache hits
    cost = trace.cost_micro_usd
    return Sample(
        provider=provider,
        model=model_label(provider, trace.request.model if trace.request else None),
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


def init_app(app: Flask, settings: Settings, admission: Admission | None = None) -> None:
    """Metric objects for this app, or none when ``GATEWAY_METRICS`` is off.

    ``PROMETHEUS_MULTIPROC_DIR`` is prometheus_client's own variable (gunicorn.conf.py
    sets it); when set, every process writes there and a scrape adds them all up.
    ``admission``'s in-flight count and capacity are read at scrape time.
    """
    if not settings.metrics:
        app.extensions[EXTENSION] = None
        return
    from .instruments import Instruments  # lazy: see the module docstring

    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
    if multiproc_dir is not None:
        os.makedirs(multiproc_dir, mode=0o700, exist_ok=True)
    app.extensions[EXTENSION] = Instruments(multiproc_dir, admission)


def current() -> Instruments | None:
    """This app's metric objects; None when metrics are off."""
    return current_app.extensions.get(EXTENSION)


def record(trace: Trace, status: int, duration_s: float) -> None:
    """Count a finished request; a metrics failure is logged, never the caller's problem."""
    metrics = current()
    if metrics is None:
        return
    try:
        metrics.observe(sample(trace, status, duration_s))
    except Exception:
        log.exception("could not record metrics for trace %s", trace.trace_id)


def overloaded(route: str) -> None:
    """Count a call refused for want of capacity; ``route`` is a fixed word."""
    metrics = current()
    if metrics is not None:
        metrics.overloaded.labels(route).inc()


def log_row_dropped(reason: str = "queue_full") -> None:
    """Count a request log row that was dropped (``RequestLog.offer``)."""
    metrics = current()
    if metrics is not None:
        metrics.log_dropped.labels(reason).inc()
