"""Plain factory functions with overridable defaults."""

from __future__ import annotations

import json
from typing import Any

from gateway.settings import Settings

PROVIDER_KEY = "sk-test-PLANTEDKEY0123456789abcdefABCDEF"
OPENAI_URL = "https://api.openai.com/v1/images/generations"
OK_BODY = b'{"created":1700000000,"data":[{"url":"https://img.example/a.png"}]}'


def settings(tmp_path: Any, **overrides: Any) -> Settings:
    base: dict[str, Any] = {"data_dir": str(tmp_path / "data")}
    base.update(overrides)
    return Settings(**base)


def image_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "dall-e-3", "prompt": "a lighthouse at dusk"}
    body.update(overrides)
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def auth_headers(key: str = PROVIDER_KEY, **extra: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    headers.update(extra)
    return headers


# Fixed Fernet keys (32 bytes of 0x01 / 0x02), so failures are reproducible.
MASTER_KEY_1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
MASTER_KEY_2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
PEPPER = b"p" * 32


def virtual_key(**overrides: Any) -> Any:
    from gateway.store.records import VirtualKeyInfo

    base: dict[str, Any] = {
        "id": "vk_0000000000000001",
        "name": "prod-openai",
        "provider": "openai",
        "hint": PROVIDER_KEY[-4:],
        "base_url": None,
        "fields": {},
        "teams": (),
        "disabled_at": None,
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_000.0,
    }
    base.update(overrides)
    return VirtualKeyInfo(**base)
