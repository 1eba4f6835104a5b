"""GET /metrics through the Flask client: exact counts after a known mix of requests."""

from __future__ import annotations

import dataclasses
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observability.instruments import Instruments
from tests.factories import OK_BODY, OPENAI_URL, PROVIDER_KEY, encode, image_body

URL = "/v1/images/generations"
PROMPT = "a lighthouse at dusk for customer 4711"
PLACEHOLDER = {"Content-Type": "application/json", "x-portkey-provider": "placeholder"}
TOKEN = "m" * 40


def small(**extra):
    return encode({"prompt": PROMPT, "size": "64x64", "response_format": "b64_json", **extra})


def scrape(client, **headers):
    res = client.get("/metrics", headers=headers)
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.headers["Content-Type"].startswith("text/plain; version=")
    assert res.headers["Cache-Control"] == "no-store"
    return res.get_data(as_text=True)


def samples(text):
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.endswith("_created")
    }


def requests_total(got, provider, model, status, route="generations"):
    key = (("model", model), ("provider", provider), ("route", route), ("status", status))
    return got.get(("gateway_image_requests_total", key))


@pytest.fixture
def routed(make_app):
    """Back-off sleeps are recorded, not slept."""
    app = make_app()
    state = app.extensions["gateway"]
    deps = dataclasses.replace(state.deps, sleep=lambda s: None)
    app.extensions["gateway"] = dataclasses.replace(state, deps=deps)
    return app


def test_metrics_count_a_known_mix_of_requests_exactly(routed, upstream):
    client = routed.test_client()
    for _ in range(4):
        assert client.post(URL, data=small(n=2), headers=PLACEHOLDER).status_code == 200
    bad_size = client.post(URL, data=small(size="10x10"), headers=PLACEHOLDER)
    assert bad_size.status_code == 400
    unknown = {**PLACEHOLDER, "x-portkey-provider": "sk-planted-" + PROVIDER_KEY}
    assert client.post(URL, data=small(), headers=unknown).status_code == 400
    upstream.post(OPENAI_URL, status=503, json={"error": {"message": "busy"}})
    fallback = {
        "strategy": {"mode": "fallback"},
        "targets": [{"provider": "openai", "api_key": PROVIDER_KEY}, {"provider": "placeholder"}],
    }
    headers = {"Content-Type": "application/json", "x-portkey-config": json.dumps(fallback)}
    res = client.post(URL, data=small(size="256x256"), headers=headers)
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"

    text = scrape(client)
    got = samples(text)
    assert requests_total(got, "placeholder", "placeholder", "200") == 5
    assert requests_total(got, "placeholder", "other", "400") == 1  # refused before a model
    assert requests_total(got, "unknown", "other", "400") == 1
    assert sum(v for (name, _), v in got.items() if name == "gateway_image_requests_total") == 7
    images = ("gateway_images_total", (("model", "placeholder"), ("provider", "placeholder")))
    assert got[images] == 9
    assert got["gateway_fallbacks_total", (("provider", "placeholder"),)] == 1
    upstream_count = "gateway_upstream_request_duration_seconds_count"
    assert got[upstream_count, (("provider", "openai"),)] == 1
    assert got[upstream_count, (("provider", "placeholder"),)] == 5
    whole = "gateway_image_request_duration_seconds_count"
    assert got[whole, (("provider", "placeholder"), ("status_class", "2xx"))] == 5
    assert got[whole, (("provider", "placeholder"), ("status_class", "4xx"))] == 1
    assert got[whole, (("provider", "unknown"), ("status_class", "4xx"))] == 1
    assert not any(name == "gateway_upstream_retries_total" for name, _ in got)
    for text_seen_by_the_gateway in (PROMPT, PROVIDER_KEY, "sk-planted", "lighthouse"):
        assert text_seen_by_the_gateway not in text


def test_retries_are_counted_per_provider(routed, upstream):
    upstream.post(OPENAI_URL, status=429, headers={"retry-after": "1"}, json={"error": {}})
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    config = {"provider": "openai", "api_key": PROVIDER_KEY, "retry": {"attempts": 2}}
    headers = {"Content-Type": "application/json", "x-portkey-config": json.dumps(config)}
    client = routed.test_client()
    res = client.post(URL, data=encode(image_body()), headers=headers)
    assert res.status_code == 200
    assert res.headers["x-portkey-retry-attempt-count"] == "1"
    got = samples(scrape(client))
    assert got["gateway_upstream_retries_total", (("provider", "openai"),)] == 1
    assert got["gateway_upstream_request_duration_seconds_count", (("provider", "openai"),)] == 2
    assert requests_total(got, "openai", "dall-e-3", "200") == 1
    assert not any(name == "gateway_fallbacks_total" for name, _ in got)


def test_each_app_counts_on_its_own(make_app):
    first, second = make_app().test_client(), make_app().test_client()
    assert first.post(URL, data=small(), headers=PLACEHOLDER).status_code == 200
    assert requests_total(samples(scrape(first)), "placeholder", "placeholder", "200") == 1
    assert requests_total(samples(scrape(second)), "placeholder", "placeholder", "200") is None


def test_a_token_protects_the_scrape(make_app):
    client = make_app(metrics_token=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": TOKEN}):
        res = client.get("/metrics", headers=headers)
        assert res.status_code == 401
        assert res.get_json()["error"]["code"] == "invalid_metrics_token"
        assert res.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "gateway_image_requests" in scrape(client, Authorization=f"Bearer {TOKEN}")
    assert "gateway_image_requests" in scrape(client, Authorization=f"bearer {TOKEN}")


def test_metrics_can_be_turned_off(make_app):
    client = make_app(metrics=False).test_client()
    assert client.post(URL, data=small(), headers=PLACEHOLDER).status_code == 200
    res = client.get("/metrics")
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "metrics_disabled"


def test_a_failing_metric_never_fails_the_request(make_app, monkeypatch, caplog):
    def broken(self, sample):
        raise OSError("metrics directory is gone")

    monkeypatch.setattr(Instruments, "observe", broken)
    client = make_app().test_client()
    headers = {**PLACEHOLDER, "x-portkey-trace-id": "metrics-broken-1"}
    assert client.post(URL, data=small(), headers=headers).status_code == 200
    assert "could not record metrics for trace metrics-broken-1" in caplog.text


def test_openmetrics_when_the_scraper_asks_for_it(client):
    assert client.post(URL, data=small(), headers=PLACEHOLDER).status_code == 200
    res = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert res.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    text = res.get_data(as_text=True)
    assert text.endswith("# EOF\n")
    assert (
        'gateway_image_requests_total{model="placeholder",provider="placeholder",'
        'route="generations",status="200"} 1.0' in text
    )
