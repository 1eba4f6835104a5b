"""Where and how to call Nscale's images endpoint."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://inference.api.nscale.com/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
