"""Where and how to call Hyperbolic's image generation endpoint."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.hyperbolic.xyz/v1"
PATH = "/image/generation"  # singular, unlike OpenAI's /images/generations


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
