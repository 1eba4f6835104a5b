"""Where a request's targets come from: headers, inline configs and virtual keys."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from gateway.config_source import build_plan
from gateway.errors import InvalidRequest, VirtualKeyNotFound
from gateway.models import RequestOptions
from gateway.routing import plan

AZURE_HEADERS = {"resource_name": "callers-resource", "deployment_id": "d1"}


def leaves(options, virtual_keys=None):
    root, _, _ = build_plan(options, lambda name: (1, {}), virtual_keys)
    return list(plan.leaves(root))


def test_header_mode_carries_the_provider_headers_as_options():
    options = RequestOptions(
        provider="azure-openai", trace_id="t", api_key="k" * 20, provider_options=AZURE_HEADERS
    )
    [leaf] = leaves(options)
    assert (leaf.provider, dict(leaf.provider_options)) == ("azure-openai", AZURE_HEADERS)


def test_a_config_without_provider_takes_the_headers_options():
    options = RequestOptions(
        provider="azure-openai",
        trace_id="t",
        api_key="k" * 20,
        config=json.dumps({"retry": {"attempts": 1}, "deployment_id": "from-config"}),
        provider_options=AZURE_HEADERS,
    )
    [leaf] = leaves(options)
    assert dict(leaf.provider_options) == AZURE_HEADERS


def test_a_virtual_key_uses_only_the_administrators_fields():
    stored = SimpleNamespace(
        provider="azure-openai",
        secret="s" * 32,
        base_url=None,
        fields={"resource_name": "admins-resource", "deployment_id": "d9"},
    )
    config = {
        "virtual_key": "team-azure",
        "resource_name": "callers-resource",
        "azure_foundry_url": "https://evil.services.ai.azure.com/models",
        "api_version": "2025-04-01-preview",
        "deployment_id": "callers",
    }
    options = RequestOptions(provider="openai", trace_id="t", config=json.dumps(config))
    [leaf] = leaves(options, lambda name, param: stored)
    assert dict(leaf.provider_options) == {
        "resource_name": "admins-resource",
        "deployment_id": "d9",
        "api_version": "2025-04-01-preview",  # picks no host: the caller may still set it
    }
    assert (leaf.provider, leaf.api_key) == ("azure-openai", "s" * 32)


def test_an_azure_ad_token_may_carry_its_bearer_prefix_and_both_forms_are_redacted():
    from gateway.redact import forget, scrub

    token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.abcdefghijklmnop"
    options = RequestOptions(
        provider="azure-openai",
        trace_id="t",
        provider_options={"azure_ad_token": f"Bearer {token}", "resource_name": "r"},
    )
    try:
        leaves(options)
        assert scrub(f"echo {token}") == "echo ***"
    finally:
        forget()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ('[{"provider": "openai"}]', "must be a JSON object"),
        ('"openai"', "must be a JSON object"),
        ("42", "must be a JSON object"),
        ("-1.5e3", "must be a JSON object"),
        ("true", "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("[1, 2", "is not valid JSON"),
    ],
)
def test_a_config_header_that_is_json_but_not_an_object_is_a_400_not_a_lookup(header, message):
    looked_up = []

    def saved(name):
        looked_up.append(name)
        return 1, {}

    options = RequestOptions(provider="openai", trace_id="t", api_key="k" * 20, config=header)
    with pytest.raises(InvalidRequest) as info:
        build_plan(options, saved, None)
    error = info.value
    assert (error.status, error.code, error.param) == (400, "invalid_json", "x-portkey-config")
    assert message in error.message
    assert looked_up == []


@pytest.mark.parametrize("name", ["prod-images", "2024-main", "42x", "true-config"])
def test_a_plain_token_is_still_a_saved_configs_name(name):
    looked_up = []

    def saved(name):
        looked_up.append(name)
        return 3, {"provider": "openai", "api_key": "k" * 20}

    options = RequestOptions(provider="openai", trace_id="t", config=f" {name} ")
    _, found, version = build_plan(options, saved, None)
    assert (looked_up, found, version) == ([name], name, 3)


def test_an_unknown_virtual_key_is_named_where_the_caller_wrote_it():
    def missing(name, param):
        raise VirtualKeyNotFound("Virtual key was not found.", param=param)

    def param_of(**fields):
        options = RequestOptions(provider="openai", trace_id="t", **fields)
        with pytest.raises(VirtualKeyNotFound) as info:
            build_plan(options, lambda name: (1, {}), missing)
        return info.value.param

    nested = {"strategy": {"mode": "fallback"}, "targets": [{"virtual_key": "a"}]}
    assert param_of(config=json.dumps(nested)) == "x-portkey-config.targets[0].virtual_key"
    assert param_of(config=json.dumps({"virtual_key": "a"})) == "x-portkey-config.virtual_key"
    assert param_of(virtual_key="a") == "x-portkey-virtual-key"
    # A config without provider or targets takes the header's virtual key.
    retry_only = json.dumps({"retry": {"attempts": 1}})
    assert param_of(config=retry_only, virtual_key="a") == "x-portkey-virtual-key"
