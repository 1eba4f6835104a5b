from __future__ import annotations

import json

import pytest

from gateway.credentials.configs import ConfigRejected, canonical, validate


def test_a_strict_json_object_is_accepted_and_canonicalised():
    config = validate(
        b'{"targets": [{"virtual_key": "a", "weight": 1}], "strategy": {"mode": "fallback"}}'
    )
    assert canonical(config) == (
        '{"strategy":{"mode":"fallback"},"targets":[{"virtual_key":"a","weight":1}]}'
    )
    assert canonical({"w": 1}) != canonical({"w": True})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1]", "The config must be a JSON object."),
        (b'{"a": 1, "a": 2}', "The config is not valid JSON: duplicate key 'a'"),
        (b'{"a": NaN}', "The config is not valid JSON: NaN is not valid JSON"),
        (b"", "The config is empty; send a JSON object."),
        (b"{" + b" " * 70_000 + b"}", "the config is larger than 65536 bytes"),
    ],
)
def test_not_strict_json_is_rejected(raw, message):
    with pytest.raises(ConfigRejected) as info:
        validate(raw)
    assert str(info.value).startswith(message)


def test_a_provider_key_in_a_saved_config_is_refused_with_its_path():
    with pytest.raises(ConfigRejected) as info:
        validate(b'{"targets": [{"virtual_key": "a"}, {"provider": "openai", "api_key": "sk-1"}]}')
    assert str(info.value).startswith("config.targets[1].api_key: a saved config may not hold")
    assert "sk-1" not in str(info.value)


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ({"provider": "bedrock", "aws_secret_access_key": "s3cr3t"}, "aws_secret_access_key"),
        ({"provider": "bedrock", "awsSessionToken": "s3cr3t"}, "awsSessionToken"),
        ({"provider": "azure-ai", "azure_ad_token": "s3cr3t"}, "azure_ad_token"),
        (
            {"provider": "vertex-ai", "vertex_service_account_json": {"k": "s3cr3t"}},
            "vertex_service_account_json",
        ),
    ],
)
def test_credential_options_in_a_saved_config_are_refused_too(target, path):
    with pytest.raises(ConfigRejected) as info:
        validate(json.dumps({"targets": [target]}).encode())
    assert str(info.value).startswith(f"config.targets[0].{path}: a saved config may not hold")
    assert "s3cr3t" not in str(info.value)


def test_the_config_schema_is_applied_with_config_paths():
    with pytest.raises(ConfigRejected) as info:
        validate(b'{"stratergy": {"mode": "single"}}')
    assert str(info.value).endswith("(config.stratergy)")
