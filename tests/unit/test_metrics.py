"""Metric labels carry no caller text; each request adds exactly what its trace says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.models import ImageRequest
from gateway.observability.instruments import Instruments
from gateway.observability.samples import (
    OTHER_MODEL,
    UNKNOWN_PROVIDER,
    model_label,
    provider_label,
    sample,
)
from gateway.pipeline import Trace
from gateway.routing.attempts import AMBIGUOUS, CACHE_HIT, SKIPPED, AttemptRecord
from gateway.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]
PROMPT = "a portrait of Jane Doe, account 4111-1111"
SECRET = "sk-live-PLANTED0123456789abcdef"


def image_request(model: str, prompt: str = PROMPT) -> ImageRequest:
    return ImageRequest(
        params={"model": model, "prompt": prompt},
        raw=b"{}",
        model=model,
        prompt=prompt,
        n=1,
        size="1024x1024",
        quality=None,
        style=None,
        response_format="url",
    )


def attempt(path, provider, status, started, ended, retry_index=0, failure=None):
    return AttemptRecord(path, provider, status, failure, started, ended, retry_index)


def values(instruments: Instruments) -> dict[tuple[str, tuple], float]:
    body, content_type = instruments.render()
    assert content_type.startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if not s.name.endswith("_created"):
                found[s.name, tuple(sorted(s.labels.items()))] = s.value
    return found


def test_provider_label_is_a_registered_provider_or_unknown():
    assert provider_label("openai") == "openai"
    assert provider_label("placeholder") == "placeholder"
    assert provider_label(SECRET) == UNKNOWN_PROVIDER
    assert provider_label(None) == UNKNOWN_PROVIDER


def test_model_label_is_from_the_capability_table_or_other():
    assert model_label("openai", "dall-e-3") == "dall-e-3"
    assert model_label("openai", "dall-e-9-preview") == OTHER_MODEL
    assert model_label("openai", PROMPT) == OTHER_MODEL
    assert model_label("openai", None) == OTHER_MODEL
    assert model_label("placeholder", "dall-e-3") == OTHER_MODEL  # another provider's model
    assert model_label(UNKNOWN_PROVIDER, "dall-e-3") == OTHER_MODEL


def test_sample_of_a_rejected_request_with_caller_text_everywhere():
    trace = Trace(trace_id=SECRET, provider=SECRET, team="design", api_key_id="key_1")
    trace.request = image_request(model=SECRET)
    trace.metadata = {"_user": SECRET}
    s = sample(trace, 400, 0.002)
    assert (s.provider, s.model, s.status, s.status_class) == ("unknown", "other", "400", "4xx")
    assert (s.upstream, s.retries, s.fallback, s.cache, s.images) == ((), (), False, None, 0)


def test_sample_counts_upstream_calls_retries_and_fallback_but_not_skips():
    trace = Trace(trace_id="t", provider="placeholder", target="config.targets[2]")
    trace.request = image_request("placeholder")
    trace.attempts = (
        attempt("config.targets[0]", "openai", None, 10.0, 10.0, failure=SKIPPED),
        attempt("config.targets[1]", "openai", 503, 10.0, 11.5),
        attempt("config.targets[1]", "openai", None, 12.0, 14.0, 1, AMBIGUOUS),
        attempt("config.targets[2]", "placeholder", 200, 14.0, 14.25),
    )
    trace.images, trace.cost_micro_usd, trace.cache_status = 2, 40_000, "MISS"
    s = sample(trace, 200, 4.5)
    assert s.upstream == (("openai", 1.5), ("openai", 2.0), ("placeholder", 0.25))
    assert s.retries == ("openai",)
    assert s.fallback is True
    assert (s.cache, s.cost_usd, s.images, s.duration_s) == ("miss", 0.04, 2, 4.5)


@pytest.mark.parametrize(
    ("status", "label"), [("HIT", "hit"), ("MISS", "miss"), ("REFRESH", "refresh")]
)
def test_cache_results_are_fixed_words(status, label):
    trace = Trace(trace_id="t", provider="openai", cache_status=status)
    assert sample(trace, 200, 0.1).cache == label


def test_disabled_or_unexpected_cache_status_is_not_counted():
    for status in ("DISABLED", "hit", PROMPT):
        assert sample(Trace(trace_id="t", cache_status=status), 200, 0.1).cache is None


def test_a_cache_hit_is_not_an_upstream_call():
    trace = Trace(trace_id="t", provider="openai", target="config", cache_status="HIT")
    hit = AttemptRecord("config", "openai", 200, None, 1.0, 1.001, 0, CACHE_HIT)
    trace.attempts = (attempt("config", "openai", 500, 0.0, 0.5), hit)
    trace.cost_micro_usd = 0
    s = sample(trace, 200, 0.003)
    assert (s.upstream, s.cache, s.cost_usd) == ((("openai", 0.5),), "hit", 0.0)


def test_edits_are_counted_under_their_route_with_the_edit_tables_models():
    trace = Trace(trace_id="t", provider="placeholder", target="config")
    trace.operation = "edits"
    trace.request = image_request("placeholder")
    s = sample(trace, 200, 1.0)
    assert (s.route, s.provider, s.model) == ("edits", "placeholder", "placeholder")
    trace.operation = "nonsense"
    assert sample(trace, 200, 1.0).route == "other"


def test_a_single_target_is_no_fallback_even_with_retries():
    trace = Trace(trace_id="t", provider="openai", target="config")
    trace.attempts = (
        attempt("config", "openai", 429, 0.0, 1.0),
        attempt("config", "openai", 200, 3.0, 4.0, 1),
    )
    s = sample(trace, 200, 4.0)
    assert (s.fallback, s.retries) == (False, ("openai",))


def test_instruments_count_what_the_samples_say():
    instruments = Instruments(None)
    ok = Trace(trace_id="t1", provider="openai", target="config")
    ok.request = image_request("dall-e-3")
    ok.attempts = (attempt("config", "openai", 200, 0.0, 1.5),)
    ok.images, ok.cost_micro_usd, ok.cache_status = 1, 40_000, "MISS"
    for _ in range(3):
        instruments.observe(sample(ok, 200, 2.0))
    instruments.observe(sample(Trace(trace_id="t2", provider=SECRET), 400, 0.001))
    got = values(instruments)
    labels = (("model", "dall-e-3"), ("provider", "openai"))
    route = ("route", "generations")
    assert got["gateway_image_requests_total", (*labels, route, ("status", "200"))] == 3
    rejected = (("model", "other"), ("provider", "unknown"), route, ("status", "400"))
    assert got["gateway_image_requests_total", rejected] == 1
    assert got["gateway_images_total", labels] == 3
    assert got["gateway_cost_usd_total", labels] == pytest.approx(0.12, abs=1e-12)
    assert got["gateway_cache_requests_total", (("provider", "openai"), ("result", "miss"))] == 3
    upstream = (("provider", "openai"),)
    assert got["gateway_upstream_request_duration_seconds_count", upstream] == 3
    assert got["gateway_upstream_request_duration_seconds_sum", upstream] == 4.5
    assert got["gateway_upstream_request_duration_seconds_bucket", (("le", "1.0"), *upstream)] == 0
    assert got["gateway_upstream_request_duration_seconds_bucket", (("le", "2.5"), *upstream)] == 3
    whole = (("provider", "openai"), ("status_class", "2xx"))
    assert got["gateway_image_request_duration_seconds_count", whole] == 3
    assert got["gateway_image_request_duration_seconds_sum", whole] == 6.0


def test_no_caller_text_reaches_the_scrape():
    instruments = Instruments(None)
    trace = Trace(trace_id="trace-" + SECRET, provider=SECRET, team="team-" + SECRET)
    trace.request = image_request(model=SECRET)
    trace.metadata = {"_user": SECRET}
    trace.api_key_id = "key-" + SECRET
    instruments.observe(sample(trace, 401, 0.01))
    body = instruments.render()[0].decode()
    assert 'provider="unknown"' in body
    for text in (SECRET, PROMPT, "Jane", "team-", "trace-", "key-"):
        assert text not in body


def test_importing_the_package_and_gunicorn_conf_leaves_prometheus_client_unloaded(tmp_path):
    # prometheus_client fixes its mode at import; gunicorn.conf.py must get to set
    # PROMETHEUS_MULTIPROC_DIR first, and it reads the settings (this package) to do so.
    code = (
        "import os, runpy, sys\n"
        "runpy.run_path('gunicorn.conf.py')\n"
        "assert 'prometheus_client' not in sys.modules, 'imported too early'\n"
        "print(os.environ['PROMETHEUS_MULTIPROC_DIR'])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "data" / "metrics")


def test_metrics_settings():
    s = Settings.from_env({"GATEWAY_DATA_DIR": "/var/lib/gw"})
    assert (s.metrics, s.metrics_token, s.metrics_path) == (True, None, "/var/lib/gw/metrics")
    s = Settings.from_env({"GATEWAY_METRICS": "off", "GATEWAY_METRICS_DIR": "/run/gw-metrics"})
    assert (s.metrics, s.metrics_path) == (False, "/run/gw-metrics")
    token = "t" * 32
    s = Settings.from_env({"GATEWAY_METRICS_TOKEN": token})
    assert s.metrics_token == token
    assert token not in repr(s)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GATEWAY_METRICS_TOKEN": "short"}, "GATEWAY_METRICS_TOKEN: invalid value"),
        ({"GATEWAY_METRICS": "maybe"}, "GATEWAY_METRICS: invalid value"),
        (
            {"GATEWAY_DATA_DIR": "/srv/gw", "GATEWAY_METRICS_DIR": "/srv/gw/"},
            "GATEWAY_METRICS_DIR: must not be GATEWAY_DATA_DIR itself",
        ),
    ],
)
def test_bad_metrics_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message) as info:
        Settings.from_env(env)
    assert "short" not in str(info.value)
