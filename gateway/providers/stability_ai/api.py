"""Where and how to call Stability AI: base URL and paths. Pure: no IO.

A custom host replaces ``https://api.stability.ai`` and keeps the API's own paths, as
Portkey does (``{custom_host}/v2beta/stable-image/generate/{service}``). Only fixed
engine and service names reach a path; a caller's model name never does.
"""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.stability.ai"


def _base(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/")


def v1_url(target: Target, engine: str) -> str:
    return f"{_base(target)}/v1/generation/{engine}/text-to-image"


def v2_url(target: Target, service: str) -> str:
    return f"{_base(target)}/v2beta/stable-image/generate/{service}"


def edit_url(target: Target, service: str) -> str:
    return f"{_base(target)}/v2beta/stable-image/edit/{service}"
