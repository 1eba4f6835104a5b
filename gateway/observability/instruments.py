"""The Prometheus metric objects, created once per app, and the text the scrape returns.

Imported lazily by ``metrics.init_app`` (see there why). Every metric has labels, so
none creates a value before its first use: under gunicorn the master (which builds
the app, ``preload_app``) writes no metric file, only the workers do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from . import metrics_files
from .samples import Sample

if TYPE_CHECKING:
    from ..admission import Admission

# Seconds: a cache hit or the placeholder answers in milliseconds, gpt-image-1 at high
# quality in minutes; the gateway's own deadline is 300 s.
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class Instruments:
    """One object per metric, created once per app; ``observe`` counts a finished request.

    Each app has its own registry, so single-process apps (Flask's test client,
    mod_wsgi) and tests count on their own; in multiprocess mode (``multiproc_dir``)
    the values live in that directory's files and a scrape reads every process's.
    """

    def __init__(self, multiproc_dir: str | None, admission: Admission | None = None) -> None:
        self.multiproc_dir = multiproc_dir
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.in_flight = InFlight(admission) if admission is not None else None
        if self.in_flight is not None and multiproc_dir is None:
            registry.register(self.in_flight)

        def counter(name: str, doc: str, labels: tuple[str, ...]) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def histogram(name: str, doc: str, labels: tuple[str, ...]) -> Histogram:
            return Histogram(name, doc, labels, registry=registry, buckets=BUCKETS)

        self.requests = counter(
            "gateway_image_requests",
            "Image requests answered, by route (generations, edits, variations)",
            ("route", "provider", "model", "status"),
        )
        self.duration = histogram(
            "gateway_image_request_duration_seconds",
            "Whole image request, from the view's start to the answer",
            ("provider", "status_class"),
        )
        self.upstream = histogram(
            "gateway_upstream_request_duration_seconds",
            "One call to a provider (every attempt, retries included; skipped targets not)",
            ("provider",),
        )
        self.retries = counter(
            "gateway_upstream_retries", "Attempts that were retries of a target", ("provider",)
        )
        self.fallbacks = counter(
            "gateway_fallbacks",
            "Requests that tried more than one target; provider is the one that answered",
            ("provider",),
        )
        self.cache = counter(
            "gateway_cache_requests", "Cache lookups by result", ("provider", "result")
        )
        self.cost = counter(
            "gateway_cost_usd", "Cost of the answered requests in US dollars", ("provider", "model")
        )
        self.images = counter("gateway_images", "Images returned", ("provider", "model"))
        self.overloaded = counter(
            "gateway_overloaded",
            "Image calls refused at once (503) because the instance was at capacity",
            ("route",),
        )
        self.log_dropped = counter(
            "gateway_request_log_dropped",
            "Request log rows dropped because the log's queue was full",
            ("reason",),
        )

    def observe(self, s: Sample) -> None:
        self.requests.labels(s.route, s.provider, s.model, s.status).inc()
        self.duration.labels(s.provider, s.status_class).observe(s.duration_s)
        for provider, seconds in s.upstream:
            self.upstream.labels(provider).observe(seconds)
        for provider in s.retries:
            self.retries.labels(provider).inc()
        if s.fallback:
            self.fallbacks.labels(s.provider).inc()
        if s.cache is not None:
            self.cache.labels(s.provider, s.cache).inc()
        if s.cost_usd is not None:
            self.cost.labels(s.provider, s.model).inc(s.cost_usd)
        if s.images:
            self.images.labels(s.provider, s.model).inc(s.images)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """(body, content type) of a scrape: Prometheus text format, or OpenMetrics when
        the scraper's ``Accept`` asks for it (as prometheus_client's own exporter does)."""
        encode, content_type = choose_encoder(accept)
        if self.multiproc_dir is None:
            return encode(self.registry), content_type
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiproc_dir)
        if self.in_flight is not None:
            merged.register(self.in_flight)
        with metrics_files.reading(self.multiproc_dir):
            return encode(merged), content_type


class InFlight:
    """``gateway_in_flight`` and ``gateway_max_in_flight``, read from the admission count
    at scrape time: already instance-wide, so no per-process gauge files are needed."""

    def __init__(self, admission: Admission) -> None:
        self.admission = admission

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "gateway_in_flight",
            "Image calls in flight on this instance (every worker)",
            value=self.admission.in_flight(),
        )
        yield GaugeMetricFamily(
            "gateway_max_in_flight",
            "Image calls the instance serves at once (GATEWAY_MAX_IN_FLIGHT)",
            value=self.admission.capacity,
        )

    def describe(self) -> Iterator[Metric]:
        return self.collect()
