"""Where to call Together AI: its OpenAI-style images endpoint (Bearer auth: ``calls``)."""

from __future__ import annotations

from ...models import Target

# Source: https://docs.together.ai/reference/post-images-generations (servers: .../v1).
BASE_URL = "https://api.together.xyz/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
