"""Where and how to call OpenAI: endpoint path and auth headers."""

from __future__ import annotations

from ...models import Target
from ..base import KeyField
from ..calls import bearer_json_headers

BASE_URL = "https://api.openai.com/v1"
PATH = "/images/generations"
EDITS_PATH = "/images/edits"
VARIATIONS_PATH = "/images/variations"
VIRTUAL_KEY_FIELDS = (KeyField("openai_organization"), KeyField("openai_project"))


def url(target: Target, path: str = PATH) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + path


def headers(
    target: Target, organization: str = "OpenAI-Organization", project: str = "OpenAI-Project"
) -> dict[str, str]:
    """Bearer auth and JSON, plus the organization and project under these header names."""
    result = bearer_json_headers(target)
    if target.organization:
        result[organization] = target.organization
    if target.project:
        result[project] = target.project
    return result
