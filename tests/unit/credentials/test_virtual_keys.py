from __future__ import annotations

import pytest

from gateway.credentials import KNOWN_PROVIDERS, VirtualKey
from gateway.credentials import virtual_keys as vk
from gateway.providers import REGISTRY
from tests.factories import PROVIDER_KEY


@pytest.mark.parametrize(
    ("provider", "pairs"),
    [
        ("openai", ["openai_organization=org-1", "openai_project=proj_2"]),
        (
            "azure-openai",
            ["resource_name=my-res", "deployment_id=dall-e-3", "api_version=2024-02-01"],
        ),
        ("bedrock", ["aws_region=us-east-1"]),
        ("vertex-ai", ["vertex_project_id=p.1", "vertex_region=europe-west4"]),
        ("workers-ai", ["workers_ai_account_id=0123abcd"]),
        ("stability-ai", []),
        ("deepbricks", ["openai_organization=org-1"]),
        ("azure-ai", ["azure_deployment_name=img", "azure_extra_params=pass-through"]),
    ],
)
def test_allowed_fields_per_provider(provider, pairs):
    fields = vk.check_fields(provider, pairs)
    assert fields == dict(p.split("=", 1) for p in pairs)


@pytest.mark.parametrize(
    ("provider", "pair", "message"),
    [
        ("openai", "resource_name=x", "field 'resource_name' is not allowed for openai"),
        ("azure-openai", "resource_name=evil.example.com/x", "field 'resource_name' has an"),
        ("azure-openai", "resource_name=-lead", "field 'resource_name' has an invalid value"),
        ("azure-openai", "deployment_id=a b", "field 'deployment_id' has an invalid value"),
        ("azure-openai", "api_version=" + "9" * 129, "field 'api_version' has an invalid"),
        ("azure-openai", "deployment_id", "each --field must look like key=value"),
        ("stability-ai", "x=1", "(allowed: none)"),
        ("azure-ai", "azure_extra_params=keep", "field 'azure_extra_params' has an invalid"),
        ("bedrock", "aws_region=us_east_1", "field 'aws_region' has an invalid value"),
        ("my-llm", "aws_region=us-east-1", "field 'aws_region' is not allowed for my-llm"),
    ],
)
def test_bad_fields_are_refused(provider, pair, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        vk.check_fields(provider, [pair])


def test_the_fields_are_those_each_provider_folder_declares():
    """credentials/ names no provider: the registry says which fields a key may carry."""
    for name, provider in REGISTRY.items():
        declared = [f.name for f in provider.virtual_key_fields]
        assert len(set(declared)) == len(declared), name
        with pytest.raises(ValueError, match="is not allowed") as refused:
            vk.check_fields(name, ["no_such_field=1"])
        assert str(refused.value).endswith(f"(allowed: {', '.join(declared) or 'none'})")


def test_a_field_given_twice_is_refused():
    with pytest.raises(ValueError, match="given twice"):
        vk.check_fields("bedrock", ["aws_region=a", "aws_region=b"])


def test_providers_known_and_registry():
    assert vk.check_provider("openai") == "openai"
    assert "azure-openai" in KNOWN_PROVIDERS
    with pytest.raises(ValueError, match="unknown provider; known providers: azure-ai, azure-o"):
        vk.check_provider("my-llm")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://res.openai.azure.com/", "https://res.openai.azure.com"),
        ("https://proxy.internal:8443/v1", "https://proxy.internal:8443/v1"),
        ("http://proxy.internal/v1", None),
        ("https://user:pw@proxy.internal", None),
        ("https://proxy.internal/v1?x=1", None),
        ("https:///v1", None),
        ("https://proxy.internal:99999", None),
    ],
)
def test_base_url(url, ok):
    if ok:
        assert vk.check_base_url(url) == ok
    else:
        with pytest.raises(ValueError, match="base URL"):
            vk.check_base_url(url)


INTRANET = ("http://10.1.2.3:8080", "https://api.partner.example")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        # http: only when scheme://host[:port] is exactly an allowlist entry.
        ("http://10.1.2.3:8080/v1/", "http://10.1.2.3:8080/v1"),
        ("HTTP://10.1.2.3:8080", "HTTP://10.1.2.3:8080"),
        ("http://10.1.2.3:8081/v1", None),  # another port
        ("http://10.1.2.3/v1", None),  # port 80 is not 8080
        ("http://api.partner.example", None),  # the entry is https
        ("http://10.1.2.3:8080/%2e%2e/v1", None),  # escapes are refused like a custom host's
        ("http://10.1.2.3:8080?x=1", None),
        ("https://api.partner.example/v1", "https://api.partner.example/v1"),
    ],
)
def test_an_http_base_url_needs_its_host_on_the_allowlist(url, ok):
    if ok:
        assert vk.check_base_url(url, INTRANET) == ok
    else:
        with pytest.raises(ValueError, match="base URL"):
            vk.check_base_url(url, INTRANET)


def test_secret_checks_and_hint():
    assert vk.check_secret(f"  {PROVIDER_KEY}\n") == PROVIDER_KEY
    for bad, message in [
        ("", "the secret is empty"),
        ("sk-\x00secret", "the secret contains control characters"),
        ("x" * 16_385, "the secret is longer than 16384 characters"),
    ]:
        with pytest.raises(ValueError, match=f"^{message}$"):
            vk.check_secret(bad)
    assert vk.hint(PROVIDER_KEY) == "CDEF"
    assert vk.hint("short-secret") == ""


def test_names():
    assert vk.check_name("team_a.prod-1") == "team_a.prod-1"
    for bad in ["", "-lead", "a b", "x" * 65, "é"]:
        with pytest.raises(ValueError, match="1-64 letters"):
            vk.check_name(bad)


def test_a_resolved_key_never_shows_its_secret_in_repr():
    key = VirtualKey("prod", "openai", PROVIDER_KEY, None, {})
    assert PROVIDER_KEY not in repr(key)
    assert "prod" in repr(key)
