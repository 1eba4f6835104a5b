"""deepbricks through gunicorn against its fake (tests/e2e/fakes/deepbricks.py)."""

from __future__ import annotations

import pytest
import requests

from .fakes import CREATED, TINY_PNG_B64

KEY = "sk-deepbricks-e2e"
PREFIX = "/p/deepbricks"


@pytest.fixture(scope="module")
def gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(gateway, fake, raw: bytes, key: str = KEY, **headers: str) -> requests.Response:
    sent = {
        "Content-Type": "application/json",
        "x-portkey-provider": "deepbricks",
        "x-portkey-custom-host": fake.host("deepbricks") + "/v1",
        "Authorization": f"Bearer {key}",
        **headers,
    }
    return requests.post(gateway.url("/v1/images/generations"), data=raw, headers=sent, timeout=30)


def test_url_answer_passes_through_with_org_and_project_headers(gateway, fake_provider):
    raw = b'{"prompt": "a red fox", "n": 2, "size": "512x512"}'
    res = post(
        gateway,
        fake_provider,
        raw,
        **{"x-portkey-openai-organization": "org-e2e", "x-portkey-openai-project": "proj-e2e"},
    )
    assert res.status_code == 200, res.text
    files = fake_provider.host("deepbricks") + "/files"
    assert res.json() == {
        "created": CREATED,
        "data": [{"url": f"{files}/0.png"}, {"url": f"{files}/1.png"}],
    }
    [sent] = fake_provider.requests_to("deepbricks")
    assert (sent.method, sent.path) == ("POST", PREFIX + "/v1/images/generations")
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["deepbricks-organization"] == "org-e2e"
    assert sent.headers["deepbricks-project"] == "proj-e2e"
    # The defaulted model (dall-e-2) is added first, the rest as sent.
    assert sent.body == b'{"model":"dall-e-2","prompt":"a red fox","n":2,"size":"512x512"}'


def test_b64_json_is_passed_through(gateway, fake_provider):
    raw = b'{"model": "dall-e-3", "prompt": "a fox", "response_format": "b64_json"}'
    res = post(gateway, fake_provider, raw)
    assert res.status_code == 200, res.text
    assert res.json()["data"] == [{"b64_json": TINY_PNG_B64}]
    [sent] = fake_provider.requests_to("deepbricks")
    assert sent.body == raw


def test_upstream_error_is_normalised(gateway, fake_provider):
    res = post(gateway, fake_provider, b'{"prompt": "a fox"}', key="sk-wrong")
    assert res.status_code == 401
    assert res.json()["error"] == {
        "message": "deepbricks error: Invalid token.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
        "provider": "deepbricks",
    }
