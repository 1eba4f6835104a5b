"""An edit falls back across providers through real gunicorn: OpenAI answers 500, Stability
AI (its model set by ``override_params``) inpaints, and the caller gets the image."""

from __future__ import annotations

import base64
import io
import json

import pytest
import requests
from PIL import Image

from tests.e2e.fakes import TINY_PNG

pytestmark = pytest.mark.e2e

OPENAI_KEY = "sk-e2e-fallback-edit-openai-0123456789"
STABILITY_KEY = "sk-e2e-fallback-edit-stability-0123456789"
TRACE = "fallback-edit-openai-to-stability"


@pytest.fixture(scope="module")
def fallback_gateway(start_gateway, fake_provider):
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def png(hole: bool = False) -> bytes:
    image = Image.new("RGBA" if hole else "RGB", (256, 256), (10, 120, 30))
    if hole:
        image.paste((0, 0, 0, 0), (0, 0, 128, 128))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_openai_500_on_an_edit_falls_back_to_stability_inpaint(fallback_gateway, fake_provider):
    fake_provider.clear()
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [
            {
                "provider": "openai",
                "api_key": OPENAI_KEY,
                "custom_host": fake_provider.upstream("status/500"),
            },
            {
                "provider": "stability-ai",
                "api_key": STABILITY_KEY,
                "custom_host": fake_provider.host("stability-ai"),
                "override_params": {"model": "inpaint"},
            },
        ],
    }
    image, mask = png(), png(hole=True)
    res = requests.post(
        fallback_gateway.url("/v1/images/edits"),
        data={"prompt": "a red door", "response_format": "b64_json"},
        files={
            "image": ("door.png", image, "image/png"),
            "mask": ("mask.png", mask, "image/png"),
        },
        headers={"x-portkey-config": json.dumps(config), "x-portkey-trace-id": TRACE},
        timeout=30,
    )

    assert res.status_code == 200, res.text
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    [item] = res.json()["data"]
    assert base64.b64decode(item["b64_json"]) == TINY_PNG

    first, second = fake_provider.requests
    assert first.path == "/status/500/v1/images/edits"
    assert first.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert first.form().file("mask").data == mask  # OpenAI got its own form
    assert second.path == "/p/stability-ai/v2beta/stable-image/edit/inpaint"
    assert second.headers["authorization"] == f"Bearer {STABILITY_KEY}"
    form = second.form()
    assert form.fields == [("prompt", "a red door")]
    assert form.file("image").data == image
    with Image.open(io.BytesIO(form.file("mask").data)) as converted:
        assert converted.mode == "L"
        assert converted.getpixel((10, 10)) == 255  # Stability's white: edit
        assert converted.getpixel((200, 200)) == 0

    [row] = fallback_gateway.log_rows(TRACE)
    assert (row["provider"], row["status"], row["target"]) == (
        "stability-ai",
        200,
        "config.targets[1]",
    )
    assert fallback_gateway.attempt_rows(row["request_id"], at_least=2) == [
        ("config.targets[0]", "openai", 500),
        ("config.targets[1]", "stability-ai", 200),
    ]
