from __future__ import annotations

import dataclasses

import pytest

from gateway.settings import Settings, SettingsError, parse_allow_entry


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.from_env({})
    assert (s.bind, s.worker_class, s.workers, s.threads) == ("0.0.0.0:8787", "gthread", 2, None)
    # gthread's pool follows the in-flight capacity unless GATEWAY_THREADS is set.
    assert (s.max_in_flight, s.threads_per_worker) == (1000, 1000)
    assert Settings.from_env({"GATEWAY_THREADS": "8"}).threads_per_worker == 8
    assert s.data_dir == str(tmp_path / "data")
    assert s.openai_base_url == "https://api.openai.com/v1"
    assert s.allowed_custom_hosts == ()
    assert s.max_body_bytes == 1 << 20
    assert s.log_prompts is True
    assert s.require_api_key == "auto"
    assert Settings.from_env({"GATEWAY_REQUIRE_API_KEY": "yes"}).require_api_key == "true"
    assert Settings.from_env({"GATEWAY_REQUIRE_API_KEY": "off"}).require_api_key == "false"
    assert s.db_path == str(tmp_path / "data" / "gateway.db")
    assert s.metrics_dir is None
    assert s.metrics_path == str(tmp_path / "data" / "metrics")


def test_a_gthread_capacity_above_the_thread_cap_asks_for_threads_or_gevent():
    with pytest.raises(SettingsError, match="GATEWAY_MAX_IN_FLIGHT: above 4096"):
        Settings.from_env({"GATEWAY_MAX_IN_FLIGHT": "5000"})
    big = {"GATEWAY_MAX_IN_FLIGHT": "5000", "GATEWAY_WORKER_CLASS": "gevent"}
    assert Settings.from_env(big).max_in_flight == 5000


def test_values_are_parsed_and_typed():
    s = Settings.from_env(
        {
            "GATEWAY_WORKERS": "4",
            "GATEWAY_LOG_PROMPTS": "off",
            "GATEWAY_OPENAI_BASE_URL": "http://10.0.0.5:8080/v1/",
            "GATEWAY_ALLOWED_CUSTOM_HOSTS": "https://a.example, http://127.0.0.1:9000",
            "GATEWAY_READ_TIMEOUT": "30.5",
            "GATEWAY_LOG_LEVEL": "debug",
        }
    )
    assert s.workers == 4
    assert s.log_prompts is False
    assert s.openai_base_url == "http://10.0.0.5:8080/v1"
    assert s.allowed_custom_hosts == ("https://a.example", "http://127.0.0.1:9000")
    assert s.read_timeout == 30.5
    assert s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_WORKERS", "zero"),
        ("GATEWAY_WORKERS", "0"),
        ("GATEWAY_THREADS", "5000"),
        ("GATEWAY_WORKER_CLASS", "sync"),
        ("GATEWAY_LOG_PROMPTS", "maybe"),
        ("GATEWAY_READ_TIMEOUT", "nan"),
        ("GATEWAY_OPENAI_BASE_URL", "ftp://x"),
        ("GATEWAY_OPENAI_BASE_URL", "https://user:sk-secret@x.example"),
        ("GATEWAY_BIND", "8787"),
        ("GATEWAY_LOG_LEVEL", "loud"),
        ("GATEWAY_ALLOWED_CUSTOM_HOSTS", "https://a.example/path"),
        ("GATEWAY_ALLOWED_CUSTOM_HOSTS", "a.example"),
        ("GATEWAY_UNPRICED_IMAGE_USD", "1e400"),
        ("GATEWAY_UNPRICED_IMAGE_USD", "-0.04"),
        ("GATEWAY_UNPRICED_IMAGE_USD", "0.0000001"),
        ("GATEWAY_UNPRICED_IMAGE_USD", "99999999999999"),
        ("GATEWAY_DEFAULT_PROVIDER", "open ai"),
        ("GATEWAY_DEFAULT_PROVIDER", "openai/v1"),
    ],
)
def test_a_bad_value_names_the_variable_and_not_the_value(name, value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({name: value})
    assert str(info.value).startswith(f"{name}: ")
    assert value not in str(info.value)


def test_the_price_of_an_unpriced_image_is_unset_by_default_and_read_in_dollars():
    assert Settings.from_env({}).unpriced_image_micro_usd is None
    env = {"GATEWAY_UNPRICED_IMAGE_USD": " 0.05 "}
    assert Settings.from_env(env).unpriced_image_micro_usd == 50_000
    assert Settings.from_env({"GATEWAY_UNPRICED_IMAGE_USD": "0"}).unpriced_image_micro_usd == 0


def test_cross_field_rules():
    with pytest.raises(SettingsError, match="GATEWAY_GRACEFUL_TIMEOUT"):
        Settings.from_env({"GATEWAY_GRACEFUL_TIMEOUT": "10"})
    with pytest.raises(SettingsError, match="GATEWAY_MAX_REQUESTS_JITTER"):
        Settings.from_env({"GATEWAY_MAX_REQUESTS": "10", "GATEWAY_MAX_REQUESTS_JITTER": "20"})


def test_allow_entries_normalise_port_and_case():
    assert parse_allow_entry("HTTPS://Images.Example") == ("https", "images.example", 443)
    assert parse_allow_entry("http://127.0.0.1:9000/") == ("http", "127.0.0.1", 9000)


def test_a_relative_data_dir_becomes_absolute_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from_env = Settings.from_env({"GATEWAY_DATA_DIR": "state/../store", "GATEWAY_METRICS_DIR": "m"})
    built = Settings(data_dir="store", metrics_dir="./m")  # as tests build it: same rule
    for s in (from_env, built):
        assert s.data_dir == str(tmp_path / "store")
        assert s.metrics_dir == str(tmp_path / "m")
        assert s.images_dir == str(tmp_path / "store" / "images")
        assert s.db_path == str(tmp_path / "store" / "gateway.db")
    # Resolved once: moving elsewhere afterwards changes nothing.
    monkeypatch.chdir("/")
    assert from_env.data_dir == str(tmp_path / "store")
    assert dataclasses.replace(from_env, workers=3).data_dir == str(tmp_path / "store")


def test_an_absolute_data_dir_is_kept():
    assert Settings(data_dir="/var/lib/image-gateway/").data_dir == "/var/lib/image-gateway"
    assert Settings(data_dir="/srv/gw").metrics_path == "/srv/gw/metrics"


def test_path_environ_exports_the_absolute_paths_that_are_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).path_environ() == {
        "GATEWAY_DATA_DIR": str(tmp_path / "data"),
        "GATEWAY_BIND": "0.0.0.0:8787",
    }
    env = {"GATEWAY_DATA_DIR": "d", "GATEWAY_METRICS_DIR": "/run/gw-metrics"}
    env["GATEWAY_BIND"] = "unix:gw.sock"
    assert Settings.from_env(env).path_environ() == {
        "GATEWAY_DATA_DIR": str(tmp_path / "d"),
        "GATEWAY_BIND": f"unix:{tmp_path}/gw.sock",
        "GATEWAY_METRICS_DIR": "/run/gw-metrics",
    }


def test_a_relative_unix_socket_becomes_absolute_and_a_port_stays(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"GATEWAY_BIND": "unix:run/gw.sock"}).bind == (
        f"unix:{tmp_path}/run/gw.sock"
    )
    assert Settings(bind="unix:/run/gw.sock").bind == "unix:/run/gw.sock"
    assert Settings(bind="127.0.0.1:8787").bind == "127.0.0.1:8787"


def test_the_metrics_dir_may_not_be_the_data_dir_spelt_differently(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"GATEWAY_DATA_DIR": "data", "GATEWAY_METRICS_DIR": str(tmp_path / "data")}
    with pytest.raises(SettingsError, match="GATEWAY_METRICS_DIR: must not be GATEWAY_DATA_DIR"):
        Settings.from_env(env)


def test_the_default_provider_is_openai_a_named_one_or_none():
    assert Settings.from_env({}).default_provider == "openai"
    given = {"GATEWAY_DEFAULT_PROVIDER": " Stability-AI "}
    assert Settings.from_env(given).default_provider == "stability-ai"
    assert Settings.from_env({"GATEWAY_DEFAULT_PROVIDER": "none"}).default_provider is None
    assert Settings.from_env({"GATEWAY_DEFAULT_PROVIDER": "NONE"}).default_provider is None
