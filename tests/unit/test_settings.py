from __future__ import annotations

import pytest

from gateway.settings import Settings, SettingsError, parse_allow_entry


def test_defaults():
    s = Settings.from_env({})
    assert (s.bind, s.workers, s.threads, s.data_dir) == ("0.0.0.0:8787", 2, 32, "data")
    assert s.openai_base_url == "https://api.openai.com/v1"
    assert s.allowed_custom_hosts == ()
    assert s.max_body_bytes == 1 << 20
    assert s.log_prompts is True
    assert s.require_api_key == "auto"
    assert Settings.from_env({"GATEWAY_REQUIRE_API_KEY": "yes"}).require_api_key == "true"
    assert Settings.from_env({"GATEWAY_REQUIRE_API_KEY": "off"}).require_api_key == "false"
    assert s.db_path == "data/gateway.db"


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
        ("GATEWAY_THREADS", "1000"),
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
