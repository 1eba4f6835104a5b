"""together-ai through gunicorn against its fake (tests/e2e/fakes/together_ai.py)."""

from __future__ import annotations

import json

import pytest
import requests

from .fakes import TINY_PNG_B64

KEY = "tg-e2e-key"
PREFIX = "/p/together-ai"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, body: dict) -> requests.Response:
    headers = {
        "x-portkey-provider": "together-ai",
        "x-portkey-custom-host": fake.host("together-ai") + "/v1",
        "Authorization": f"Bearer {KEY}",
    }
    return requests.post(
        gateway.url("/v1/images/generations"), json=body, headers=headers, timeout=30
    )


def test_size_steps_seed_mapped_and_url_answer_rendered(gateway, fake_provider):
    res = post(
        gateway,
        fake_provider,
        {
            "model": "black-forest-labs/FLUX.1-dev",
            "prompt": "a red fox",
            "size": "1344x768",
            "n": 2,
            "steps": 20,
            "seed": 7,
            "quality": "hd",
            "user": "u-1",
        },
    )
    assert res.status_code == 200, res.text
    answer = res.json()
    files = fake_provider.host("together-ai") + "/files"
    assert answer["data"] == [{"url": f"{files}/0.png"}, {"url": f"{files}/1.png"}]
    assert isinstance(answer["created"], int)
    [sent] = fake_provider.requests_to("together-ai")
    assert (sent.method, sent.path) == ("POST", PREFIX + "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(sent.body) == {
        "model": "black-forest-labs/FLUX.1-dev",
        "prompt": "a red fox",
        "n": 2,
        "width": 1344,
        "height": 768,
        "response_format": "url",
        "steps": 20,
        "seed": 7,
    }


def test_b64_json_is_asked_as_base64(gateway, fake_provider):
    res = post(gateway, fake_provider, {"prompt": "a fox", "response_format": "b64_json"})
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("together-ai")
    assert json.loads(sent.body) == {
        "model": "black-forest-labs/FLUX.1-schnell",
        "prompt": "a fox",
        "n": 1,
        "response_format": "base64",
    }


def test_errors_are_normalised_and_bad_sizes_never_sent(gateway, fake_provider):
    # The safety checker's documented 422 is OpenAI's answer for a refused prompt.
    res = post(gateway, fake_provider, {"prompt": "nsfw fox"})
    assert res.status_code == 400
    assert res.json()["error"] == {
        "message": "together-ai error: NSFW content detected. Try a different prompt.",
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
        "provider": "together-ai",
    }
    fake_provider.clear()
    res = post(gateway, fake_provider, {"prompt": "a fox", "size": "1020x1020"})
    assert (res.status_code, res.json()["error"]["param"]) == (400, "size")
    assert fake_provider.requests_to("together-ai") == []
