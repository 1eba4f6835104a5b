"""Prometheus metrics for image requests: the per-app instruments and the calls that count.

The labels and numbers of one request come from ``samples`` (see there why no label
ever carries caller text).

prometheus_client chooses between in-process values and gunicorn's multiprocess files
(``PROMETHEUS_MULTIPROC_DIR``) once, when it is first imported. gunicorn.conf.py sets
that variable only after reading the settings, and reading the settings imports the
``gateway`` package, and so this module; so this module does not import
prometheus_client: ``init_app`` loads ``instruments`` lazily, inside the app factory.
``instruments`` never imports this module (both take ``Sample`` from ``samples``), so
the imports go one way.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from flask import Flask, current_app

from .samples import Finished, sample

if TYPE_CHECKING:
    from ..admission import Admission
    from ..settings import Settings
    from .instruments import Instruments

log = logging.getLogger("gateway.metrics")
EXTENSION = "gateway.metrics"


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


def record(trace: Finished, status: int, duration_s: float) -> None:
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
