"""Where and how to call Deepbricks: its OpenAI-compatible endpoint and auth headers."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.deepbricks.ai/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH


def headers(target: Target) -> dict[str, str]:
    result = {
        "Authorization": f"Bearer {target.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    # Portkey sends the OpenAI organization / project settings under Deepbricks' names.
    if target.organization:
        result["Deepbricks-Organization"] = target.organization
    if target.project:
        result["Deepbricks-Project"] = target.project
    return result
