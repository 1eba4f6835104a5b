"""Where and how to call Recraft's image generation endpoint."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://external.api.recraft.ai/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
