"""The two SDKs pointed at a gateway under test, configured alike for every e2e test:
no retries (a refusal must show as the SDK's error, once) and no proxy from the
environment (only loopback traffic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import openai
import portkey_ai


def openai_sdk(
    gateway: Any, api_key: str, headers: Mapping[str, str] | None = None
) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=api_key,
        base_url=gateway.base_url + "/v1",
        max_retries=0,
        default_headers=dict(headers) if headers else None,
        http_client=openai.DefaultHttpxClient(trust_env=False),
    )


def portkey_sdk(gateway: Any, **options: Any) -> portkey_ai.Portkey:
    return portkey_ai.Portkey(
        base_url=gateway.base_url + "/v1",
        http_client=httpx.Client(trust_env=False),
        **options,
    )
