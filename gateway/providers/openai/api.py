"""Where and how to call OpenAI: endpoint path and auth headers."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.openai.com/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH


def headers(target: Target) -> dict[str, str]:
    result = {
        "Authorization": f"Bearer {target.api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    if target.organization:
        result["OpenAI-Organization"] = target.organization
    if target.project:
        result["OpenAI-Project"] = target.project
    return result
