"""Where and how to call Lemonfox.ai's images endpoint."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.lemonfox.ai/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
