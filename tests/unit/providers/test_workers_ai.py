"""Golden tests of the Workers AI transforms both ways; no HTTP.

Shapes follow Cloudflare's model catalogue (developers.cloudflare.com/workers-ai/models):
FLUX.1 schnell answers ``{"result": {"image"}}``, SDXL raw PNG bytes.
"""

from __future__ import annotations

import base64
import json

import pytest

from gateway.errors import InvalidRequest, InvalidUpstreamResponse, ProviderError
from gateway.models import GeneratedImage, ImageResult, ProviderReply, Target
from gateway.providers import get
from gateway.providers.capabilities import resolve
from gateway.providers.workers_ai import PROVIDER

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
TARGET = Target(
    provider="workers-ai",
    base_url=None,
    api_key="cf-token-123",
    options={"workers_ai_account_id": ACCOUNT},
)
SDXL = "@cf/stabilityai/stable-diffusion-xl-base-1.0"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def request_for(params: dict):
    return resolve(PROVIDER.capabilities, params, json.dumps(params).encode())


def call_for(params: dict, target: Target = TARGET):
    return PROVIDER.build_call(request_for(params), target)


def reply(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    return ProviderReply(status, {"content-type": content_type, **headers}, body)


def test_registry_has_workers_ai():
    assert get("workers-ai") is PROVIDER


def test_default_model_is_flux_schnell_with_bearer_auth():
    call = call_for({"prompt": "a red fox", "steps": 6, "seed": 42})
    assert (call.method, call.url) == (
        "POST",
        f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/ai/run/"
        "@cf/black-forest-labs/flux-1-schnell",
    )
    assert call.headers == {
        "Authorization": "Bearer cf-token-123",
        "Content-Type": "application/json",
    }
    # FLUX takes no size and names its step count "steps".
    assert json.loads(call.body) == {"prompt": "a red fox", "steps": 6, "seed": 42}
    assert call.signing is None


def test_sdxl_gets_size_num_steps_and_its_native_parameters():
    call = call_for(
        {
            "model": SDXL,
            "prompt": "a red fox",
            "size": "768x1024",
            "steps": 20,
            "negative_prompt": "blurry",
            "guidance": 7.5,
            "seed": 7,
            "quality": "hd",  # OpenAI's: accepted, not sent
            "style": "vivid",
            "user": "u-1",
        }
    )
    assert call.url.endswith("/ai/run/@cf/stabilityai/stable-diffusion-xl-base-1.0")
    assert json.loads(call.body) == {
        "prompt": "a red fox",
        "negative_prompt": "blurry",
        "num_steps": 20,
        "width": 768,
        "height": 1024,
        "guidance": 7.5,
        "seed": 7,
    }


def test_sdxl_without_size_gets_openai_default_and_auto_sends_none():
    assert json.loads(call_for({"model": SDXL, "prompt": "p"}).body) == {
        "prompt": "p",
        "width": 1024,
        "height": 1024,
    }
    assert json.loads(call_for({"model": SDXL, "prompt": "p", "size": "auto"}).body) == {
        "prompt": "p"
    }


def test_unknown_model_gets_portkeys_set_and_size_only_when_asked():
    call = call_for({"model": "@cf/new-lab/new-model", "prompt": "p", "steps": 12})
    assert json.loads(call.body) == {"prompt": "p", "num_steps": 12, "steps": 12}
    call = call_for({"model": "@cf/new-lab/new-model", "prompt": "p", "size": "640x480"})
    assert json.loads(call.body) == {"prompt": "p", "width": 640, "height": 480}


def test_custom_host_replaces_the_account_base():
    target = Target(
        provider="workers-ai",
        base_url="http://127.0.0.1:9/p/workers-ai/",
        api_key="k" * 8,
        forward_headers=(("x-team", "a"), ("authorization", "never")),
    )
    call = call_for({"prompt": "p"}, target)
    assert call.url == "http://127.0.0.1:9/p/workers-ai/@cf/black-forest-labs/flux-1-schnell"
    assert call.headers["Authorization"] == "Bearer kkkkkkkk"
    assert call.headers["x-team"] == "a"


def test_missing_account_id_names_the_option():
    target = Target(provider="workers-ai", base_url=None, api_key="k")
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p"}, target)
    assert info.value.param == "workers_ai_account_id"
    assert "x-portkey-workers-ai-account-id" in info.value.message


@pytest.mark.parametrize(
    "model", ["@cf/../../user/tokens", "cf/a/b", "@cf/a/b?x=1", "@cf/a%2Fb/c", "@cf"]
)
def test_model_that_could_change_the_path_is_refused(model):
    with pytest.raises(InvalidRequest) as info:
        call_for({"model": model, "prompt": "p"})
    assert info.value.param == "model"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"n": 11}, "n"),
        ({"size": "512x512"}, "size"),  # FLUX draws 1024x1024 only
        ({"guidance": 3}, "guidance"),  # FLUX has no guidance
        ({"negative_prompt": "x"}, "negative_prompt"),
        ({"steps": 9}, "steps"),  # FLUX: at most 8
        ({"steps": True}, "steps"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"quality": "high"}, "quality"),
        ({"style": "anime"}, "style"),
        ({"model": SDXL, "num_steps": 21}, "num_steps"),
        ({"model": SDXL, "size": "4096x1024"}, "size"),
        ({"model": SDXL, "size": "128x128"}, "size"),
        ({"model": SDXL, "negative_prompt": 5}, "negative_prompt"),
        ({"model": "@cf/leonardo/phoenix-1.0", "guidance": 1}, "guidance"),
        ({"model": "@cf/leonardo/lucid-origin", "negative_prompt": "x"}, "negative_prompt"),
        ({"model": "@cf/new-lab/new-model", "n": 3}, "n"),
    ],
)
def test_what_a_model_cannot_take_is_a_400_naming_the_parameter(params, param):
    with pytest.raises(InvalidRequest) as info:
        call_for({"prompt": "p", **params})
    assert info.value.param == param


def test_flux_prompt_limit_is_2048_characters():
    with pytest.raises(InvalidRequest) as info:
        request_for({"prompt": "p" * 2049})
    assert info.value.param == "prompt"


def test_json_answer_becomes_one_base64_image():
    body = b'{"result": {"image": "/9j/4AAQ"}, "success": true, "errors": [], "messages": []}'
    result = PROVIDER.parse_reply(reply(200, body), request_for({"prompt": "p"}))
    assert result == ImageResult(
        200, images=(GeneratedImage(b64_json="/9j/4AAQ", content_type="image/jpeg"),)
    )


def test_raw_png_answer_becomes_one_image():
    result = PROVIDER.parse_reply(
        reply(200, PNG, "image/png", **{"retry-after": "1"}),
        request_for({"model": SDXL, "prompt": "p"}),
    )
    assert result == ImageResult(
        200,
        headers={"retry-after": "1"},
        images=(GeneratedImage(data=PNG, content_type="image/png"),),
    )


def test_empty_raw_image_is_not_an_answer():
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, b"", "image/png"), request_for({"prompt": "p"}))


def test_success_false_inside_a_200_is_an_error():
    body = json.dumps(
        {"result": None, "success": False, "errors": [{"code": 5006, "message": "bad input"}]}
    ).encode()
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(200, body), request_for({"prompt": "p"}))
    assert info.value.status == 502
    assert info.value.to_body()["error"] == {
        "message": "workers-ai error: bad input",
        "type": "upstream_error",
        "param": None,
        "code": "5006",
        "provider": "workers-ai",
    }


@pytest.mark.parametrize(
    "body",
    [b'{"result": {}, "success": true}', b'{"result": {"image": ""}}', b"[1]", b"not json"],
)
def test_200_without_an_image_raises(body):
    with pytest.raises(InvalidUpstreamResponse):
        PROVIDER.parse_reply(reply(200, body), request_for({"prompt": "p"}))


def test_cloudflare_error_keeps_status_and_joins_messages():
    body = json.dumps(
        {
            "result": None,
            "success": False,
            "errors": [
                {"code": 7003, "message": "Could not route to /client/v4/accounts/x/ai/run"},
                {"code": 7000, "message": "No route for that URI"},
            ],
            "messages": [],
        }
    ).encode()
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(404, body), request_for({"prompt": "p"}))
    assert info.value.status == 404
    assert info.value.to_body() == {
        "error": {
            "message": "workers-ai error: Could not route to /client/v4/accounts/x/ai/run; "
            "No route for that URI",
            "type": "upstream_error",
            "param": None,
            "code": "7003",
            "provider": "workers-ai",
        }
    }
    assert info.value.should_retry is False


def test_short_429_may_be_retried_by_the_client():
    body = b'{"success": false, "errors": [{"code": 3040, "message": "Capacity exceeded"}]}'
    with pytest.raises(ProviderError) as info:
        PROVIDER.parse_reply(reply(429, body, **{"retry-after": "2"}), request_for({"prompt": "p"}))
    assert (info.value.status, info.value.should_retry) == (429, True)
    assert info.value.response_headers() == {"retry-after": "2", "x-should-retry": "true"}


def test_html_error_page_is_a_502_naming_the_provider():
    with pytest.raises(InvalidUpstreamResponse) as info:
        PROVIDER.parse_reply(
            reply(502, b"<html>bad gateway</html>", "text/html"), request_for({"prompt": "p"})
        )
    assert info.value.provider == "workers-ai"
    assert info.value.status == 502
