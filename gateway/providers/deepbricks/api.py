"""Where and how to call Deepbricks: its OpenAI-compatible endpoint and auth headers."""

from __future__ import annotations

from ...models import Target
from ..openai import api as openai_api

BASE_URL = "https://api.deepbricks.ai/v1"
PATH = "/images/generations"
# OpenAI's organization and project, sent under Deepbricks' header names (``headers``).
VIRTUAL_KEY_FIELDS = openai_api.VIRTUAL_KEY_FIELDS


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH


def headers(target: Target) -> dict[str, str]:
    # Portkey sends the OpenAI organization / project settings under Deepbricks' names.
    return openai_api.headers(target, "Deepbricks-Organization", "Deepbricks-Project")
