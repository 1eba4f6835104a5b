"""Golden tests of the Azure OpenAI transforms both ways; no HTTP."""

from __future__ import annotations

import json

import pytest

from gateway.errors import (
    AuthenticationError,
    InvalidRequest,
    InvalidUpstreamResponse,
    ProviderError,
)
from gateway.models import ImageResult, ProviderReply, Target
from gateway.outbound.preflight import require_keys
from gateway.providers import get
from gateway.providers.azure_openai import PROVIDER
from gateway.providers.capabilities import resolve
from tests.e2e.fakes import TINY_PNG_B64

OPTIONS = {"resource_name": "My-Res", "deployment_id": "dalle3", "api_version": "2024-10-21"}


def target(base_url=None, api_key="az-key", **options):
    return Target(
        provider="azure-openai",
        base_url=base_url,
        api_key=api_key,
        options={**OPTIONS, **options},
    )


def request_for(raw: bytes):
    return resolve(PROVIDER.capabilities, json.loads(raw), raw)


def call_for(raw: bytes, tgt: Target | None = None):
    return PROVIDER.build_call(request_for(raw), tgt or target())


def reply(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_registered_under_portkey_id():
    assert get("azure-openai") is PROVIDER


def test_deployment_url_api_key_header_and_untouched_body():
    raw = b'{"prompt": "a fox", "model": "dall-e-3", "size": "1792x1024", "user": "u1"}'
    call = call_for(raw)
    assert (call.method, call.url, call.body) == (
        "POST",
        "https://my-res.openai.azure.com/openai/deployments/dalle3/images/generations"
        "?api-version=2024-10-21",
        raw,
    )
    assert call.headers == {
        "api-key": "az-key",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def test_default_model_is_dall_e_3_and_default_api_version_is_ga():
    tgt = Target(
        provider="azure-openai",
        base_url=None,
        api_key="k",
        options={"resource_name": "res", "deployment_id": "d"},
    )
    call = call_for(b'{"prompt": "p"}', tgt)
    assert call.body == b'{"model":"dall-e-3","prompt":"p"}'
    assert call.url.endswith("/deployments/d/images/generations?api-version=2024-10-21")


def test_v1_api_version_uses_the_versionless_path_without_deployment():
    tgt = Target(
        provider="azure-openai",
        base_url=None,
        api_key="k",
        options={"resource_name": "res", "api_version": "v1"},
    )
    call = call_for(b'{"prompt": "p", "model": "gpt-image-1", "response_format": "b64_json"}', tgt)
    assert call.url == "https://res.openai.azure.com/openai/v1/images/generations"
    # gpt-image models reject response_format: removed as for OpenAI.
    assert call.body == b'{"prompt":"p","model":"gpt-image-1"}'


def test_entra_token_replaces_the_api_key():
    call = call_for(b'{"prompt": "p"}', target(azure_ad_token="Bearer eyJtoken"))
    assert call.headers["Authorization"] == "Bearer eyJtoken"
    assert "api-key" not in call.headers


def test_custom_host_replaces_the_resource_base():
    call = call_for(b'{"prompt": "p"}', target("http://127.0.0.1:9/p/azure-openai/"))
    assert call.url == (
        "http://127.0.0.1:9/p/azure-openai/deployments/dalle3/images/generations"
        "?api-version=2024-10-21"
    )


def test_bare_azure_origin_as_base_url_gets_the_openai_root():
    call = call_for(b'{"prompt": "p"}', target("https://res.openai.azure.com/"))
    assert call.url.startswith("https://res.openai.azure.com/openai/deployments/dalle3/")


def test_forwarded_headers_never_replace_auth():
    tgt = Target(
        provider="azure-openai",
        base_url=None,
        api_key="real",
        options=OPTIONS,
        forward_headers=(("x-team", "a"), ("API-KEY", "stolen")),
    )
    headers = call_for(b'{"prompt": "p"}', tgt).headers
    assert headers["x-team"] == "a"
    assert headers["api-key"] == "real"
    assert "API-KEY" not in headers


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"resource_name": ""}, "resource_name"),
        ({"resource_name": "evil.com/x"}, "resource_name"),
        ({"deployment_id": ""}, "deployment_id"),
        ({"deployment_id": "../admin"}, "deployment_id"),
        ({"api_version": "2024-10-21&x=1"}, "api_version"),
    ],
)
def test_missing_or_unsafe_options_are_400_naming_them(options, param):
    with pytest.raises(InvalidRequest) as info:
        call_for(b'{"prompt": "p"}', target(**options))
    assert info.value.param == param
    assert info.value.status == 400


def test_missing_resource_name_says_which_header():
    tgt = Target(provider="azure-openai", base_url=None, api_key="k", options={})
    with pytest.raises(InvalidRequest) as info:
        call_for(b'{"prompt": "p"}', tgt)
    assert info.value.message == (
        "azure-openai needs 'resource_name': send the 'x-portkey-azure-resource-name' header "
        "or 'resource_name' in the config or virtual key."
    )


def test_credentials_accept_key_or_entra_token():
    assert PROVIDER.credentials("k", {}) is None
    assert PROVIDER.credentials(None, {"azure_ad_token": "t"}) is None
    assert PROVIDER.credentials(None, {}) == (
        "an API key ('Authorization: Bearer <key>') or 'x-portkey-azure-ad-token'"
    )


def test_require_keys_names_what_azure_needs():
    from gateway.routing.nodes import Leaf

    leaf = Leaf(path="config", provider="azure-openai", api_key=None)
    with pytest.raises(AuthenticationError) as info:
        require_keys([leaf])
    assert info.value.message.startswith("azure-openai needs an API key")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "p", "n": 2}, "n"),
        ({"prompt": "p", "size": "512x512"}, "size"),
        ({"prompt": "p", "quality": "low"}, "quality"),
        ({"prompt": "p", "model": "gpt-image-1", "style": "vivid"}, "style"),
        ({"prompt": "p", "model": "dall-e-3", "background": "transparent"}, "background"),
    ],
)
def test_capability_violations_are_400_naming_the_parameter(body, param):
    with pytest.raises(InvalidRequest) as info:
        resolve(PROVIDER.capabilities, body, b"")
    assert info.value.param == param


def test_background_alone_implies_gpt_image_1():
    request = resolve(PROVIDER.capabilities, {"prompt": "p", "background": "opaque"}, b"")
    assert (request.model, request.response_format) == ("gpt-image-1", "b64_json")


REQUEST = request_for(b'{"prompt": "p", "model": "dall-e-3"}')


def test_url_answer_with_content_filter_results_is_passed_through_untouched():
    body = (
        b'{"created": 1698116662, "data": [{"url": "https://dalleprodsec.blob.core.windows.net/'
        b'private/images/x.png", "revised_prompt": "r", "content_filter_results": {}}]}'
    )
    result = PROVIDER.parse_reply(reply(200, body, **{"x-ms-region": "Sweden"}), REQUEST)
    assert result == ImageResult(200, body, {})


def azure_item(filtered: bool) -> dict:
    """A data item as Azure's reference shows it, its sexual result flagged or not."""
    safe = {"filtered": False, "severity": "safe"}
    return {
        "b64_json": TINY_PNG_B64,
        "revised_prompt": "r",
        "content_filter_results": {
            "hate": safe,
            "self_harm": safe,
            "sexual": {"filtered": filtered, "severity": "medium" if filtered else "safe"},
            "violence": safe,
        },
        "prompt_filter_results": {
            "hate": safe,
            "jailbreak": {"filtered": False, "detected": False},
        },
    }


def test_unflagged_content_filter_results_pass_through_untouched():
    body = json.dumps({"created": 5, "data": [azure_item(False), azure_item(False)]}).encode()
    request = request_for(b'{"prompt": "p", "model": "dall-e-3", "response_format": "b64_json"}')
    assert PROVIDER.parse_reply(reply(200, body), request) == ImageResult(200, body, {})


def test_a_filtered_item_in_a_200_is_a_content_policy_400():
    body = json.dumps({"created": 5, "data": [azure_item(False), azure_item(True)]}, indent=1)
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body.encode()), REQUEST)
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": "azure-openai error: the provider's content filter flagged the output "
            "(filtered: content_filter_results.sexual).",
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
            "provider": "azure-openai",
        }
    }
    assert TINY_PNG_B64 not in json.dumps(info.value.to_body())


def test_gpt_image_base64_answer_for_a_url_request_becomes_images():
    request = request_for(b'{"prompt": "p", "model": "gpt-image-1", "response_format": "url"}')
    body = b'{"created": 5, "data": [{"b64_json": "iVBOR"}]}'
    result = PROVIDER.parse_reply(reply(200, body), request)
    assert result.images is not None
    assert [(i.b64_json, i.url) for i in result.images] == [("iVBOR", None)]
    assert result.created == 5


def test_content_filter_error_keeps_status_and_is_prefixed():
    body = json.dumps(
        {
            "error": {
                "code": "contentFilter",
                "message": "Your task failed as a result of our safety system.",
                "inner_error": {"code": "ResponsibleAIPolicyViolation"},
            }
        }
    ).encode()
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(400, body), REQUEST)
    assert info.value.status == 400
    assert info.value.to_body() == {
        "error": {
            "message": "azure-openai error: Your task failed as a result of our safety system.",
            "type": "upstream_error",
            "param": None,
            "code": "contentFilter",
            "provider": "azure-openai",
        }
    }


def test_error_inside_a_200_raises():
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, b'{"error": {"message": "quota"}}'), REQUEST)
    assert info.value.status == 502
    assert info.value.message == "azure-openai error: quota"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\x89PNG", "image/png"),
        (b'{"created": 1}', "application/json"),
        (b"[]", "application/json"),
    ],
)
def test_unusable_2xx_answers_raise(body, kind):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body, kind), REQUEST)
