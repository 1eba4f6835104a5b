"""Where and how to call DeepInfra's OpenAI-compatible images endpoints."""

from __future__ import annotations

from ...models import Target

# Portkey's DeepInfra base: a custom host replaces all of it, as for OpenAI.
BASE_URL = "https://api.deepinfra.com/v1/openai"
PATH = "/images/generations"
EDITS = "/images/edits"


def url(target: Target, path: str = PATH) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + path
