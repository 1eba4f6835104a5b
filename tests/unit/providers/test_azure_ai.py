"""Golden tests of the Azure AI Foundry / Inference transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import InvalidRequest, ProviderError
from gateway.models import ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.azure_ai import PROVIDER
from gateway.providers.capabilities import resolve

FOUNDRY = "https://my-res.services.ai.azure.com/openai/deployments/dall-e-3"


def target(base_url=None, api_key="foundry-key", **options):
    opts = {"azure_foundry_url": FOUNDRY, **options}
    return Target(provider="azure-ai", base_url=base_url, api_key=api_key, options=opts)


def call_for(raw: bytes, tgt: Target | None = None):
    request = resolve(PROVIDER.capabilities, json.loads(raw), raw)
    return PROVIDER.build_call(request, tgt or target())


def test_registered_under_portkey_id():
    assert get("azure-ai") is PROVIDER


def test_foundry_url_bearer_and_extra_parameters_drop_by_default():
    raw = b'{"prompt": "a fox", "model": "dall-e-3"}'
    call = call_for(raw)
    assert (call.url, call.body) == (
        FOUNDRY + "/images/generations?api-version=2024-10-21",
        raw,
    )
    assert call.headers == {
        "Authorization": "Bearer foundry-key",
        "extra-parameters": "drop",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def test_options_set_version_extra_parameters_deployment_and_entra_token():
    tgt = target(
        api_version="2025-04-01-preview",
        azure_extra_params="pass-through",
        azure_deployment_name="flux-1",
        azure_ad_token="eyJ.ad",
    )
    call = call_for(b'{"prompt": "p"}', tgt)
    assert call.url == FOUNDRY + "/images/generations?api-version=2025-04-01-preview"
    assert call.headers["Authorization"] == "Bearer eyJ.ad"
    assert call.headers["extra-parameters"] == "pass-through"
    assert call.headers["azureml-model-deployment"] == "flux-1"
    # Defaulted model added as for Azure OpenAI (Portkey: dall-e-3).
    assert call.body == b'{"model":"dall-e-3","prompt":"p"}'


def test_base_url_from_virtual_key_or_custom_host_wins_over_the_option():
    call = call_for(b'{"prompt": "p"}', target("http://127.0.0.1:9/p/azure-ai", api_version="v1"))
    assert call.url == "http://127.0.0.1:9/p/azure-ai/images/generations"


@pytest.mark.parametrize(
    "url",
    [
        "http://my-res.services.ai.azure.com/models",
        "https://attacker.example/openai",
        "https://azure.com.attacker.example",
        "https://my-res.services.ai.azure.com:8443/models",
        "https://user:pw@my-res.services.ai.azure.com/models",
        "https://my-res.services.ai.azure.com/models?x=1",
        "https://my-res.services.ai.azure.com/a/../../b",
        "https://127.0.0.1/openai.azure.com",
        "not a url",
    ],
)
def test_caller_foundry_url_must_be_https_on_an_azure_host(url):
    with pytest.raises(InvalidRequest) as info:
        call_for(b'{"prompt": "p"}', target(azure_foundry_url=url))
    assert (info.value.status, info.value.param) == (400, "azure_foundry_url")


def test_missing_foundry_url_is_400_naming_its_header():
    tgt = Target(provider="azure-ai", base_url=None, api_key="k", options={})
    with pytest.raises(InvalidRequest) as info:
        call_for(b'{"prompt": "p"}', tgt)
    assert info.value.param == "azure_foundry_url"
    assert "'x-portkey-azure-foundry-url'" in info.value.message


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"azure_extra_params": "keep"}, "azure_extra_params"),
        ({"azure_deployment_name": "a b"}, "azure_deployment_name"),
        ({"api_version": "latest"}, "api_version"),
    ],
)
def test_bad_header_options_are_400(options, param):
    with pytest.raises(InvalidRequest) as info:
        call_for(b'{"prompt": "p"}', target(**options))
    assert info.value.param == param


def reply(status: int, body: bytes, content_type: str = "application/json"):
    return ProviderReply(status, {"content-type": content_type}, body)


REQUEST = resolve(PROVIDER.capabilities, {"prompt": "p"}, b"")


def test_success_passes_through_untouched():
    body = b'{"created": 1, "data": [{"url": "https://dalleproduse.blob.core.windows.net/x"}]}'
    assert PROVIDER.parse_reply(reply(200, body), REQUEST) == ImageResult(200, body, {})


def test_a_filtered_item_in_a_200_is_a_content_policy_400():
    body = json.dumps(
        {
            "created": 5,
            "data": [
                {
                    "url": "https://x/y.png",
                    "prompt_filter_results": {"violence": {"filtered": True, "severity": "high"}},
                }
            ],
        }
    ).encode()
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body), REQUEST)
    assert (info.value.status, info.value.code, info.value.message) == (
        400,
        "content_policy_violation",
        "azure-ai error: the provider's content filter flagged the output "
        "(filtered: prompt_filter_results.violence).",
    )


def test_error_is_prefixed_with_azure_ai():
    body = b'{"error": {"code": "DeploymentNotFound", "message": "no such deployment"}}'
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(404, body), REQUEST)
    assert info.value.status == 404
    assert info.value.to_body()["error"] == {
        "message": "azure-ai error: no such deployment",
        "type": "upstream_error",
        "param": None,
        "code": "DeploymentNotFound",
        "provider": "azure-ai",
    }


def test_capabilities_are_azure_openai_ones():
    with pytest.raises(InvalidRequest) as info:
        resolve(PROVIDER.capabilities, {"prompt": "p", "n": 3}, b"")
    assert info.value.param == "n"
