"""Where and how to call Together AI: its OpenAI-style images endpoint and Bearer auth."""

from __future__ import annotations

from ...models import Target

# Source: https://docs.together.ai/reference/post-images-generations (servers: .../v1).
BASE_URL = "https://api.together.xyz/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH


def headers(target: Target) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {target.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
