"""Where and how to call Azure OpenAI: resource host, deployment path, api-version, auth.

Shared with ``azure_ai`` (Foundry), which takes the same api-version and Entra token.
Pure: no IO; every option that lands in the URL is checked first (SEC-2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ...models import Target
from .. import options
from ..base import KeyField

NAME = "azure-openai"
VIRTUAL_KEY_FIELDS = (
    KeyField("resource_name", options.FIELD_DNS_LABEL),
    KeyField("deployment_id"),
    KeyField("api_version"),
)
# Latest GA data-plane inference version that documents image generation (dall-e-3);
# gpt-image-1 needs a newer preview or "v1". Source:
# https://learn.microsoft.com/azure/ai-services/openai/reference
DEFAULT_API_VERSION = "2024-10-21"
V1 = "v1"  # the version-less GA surface: /openai/v1/..., model = deployment name
API_VERSION = re.compile(r"^(v1|[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?)\Z")
PATH = "/images/generations"
# Image edits (gpt-image-1 and later) are called with the 2025-04-01-preview data-plane
# version by openai-python's Azure client users and third-party guides (see edits.py for
# how indirect that evidence is); the GA default above documents no /images/edits.
EDITS_PATH = "/images/edits"
EDITS_API_VERSION = "2025-04-01-preview"
# Hosts of Azure resources whose endpoint root is "/openai" (an admin may store just
# "https://res.openai.azure.com" as a virtual key's base URL).
AZURE_OPENAI_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def api_version(opts: Mapping[str, str], default: str = DEFAULT_API_VERSION) -> str:
    value = opts.get("api_version") or default
    return options.checked(value, "api_version", API_VERSION)


def _base(target: Target) -> str:
    if not target.base_url:
        resource = options.label(target.options, "resource_name", NAME)
        return f"https://{resource}.openai.azure.com/openai"
    base = target.base_url.rstrip("/")
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    if not parts.path and host.endswith(AZURE_OPENAI_HOSTS):
        # A bare Azure resource origin: Portkey would call /deployments/... on it and
        # get a 404; the images API lives under /openai.
        return base + "/openai"
    return base


def url(target: Target, path: str = PATH, default_version: str = DEFAULT_API_VERSION) -> str:
    """``{base}/deployments/{id}{path}?api-version=...`` or the v1 form; the version is
    the target's own, else ``default_version``."""
    version = api_version(target.options, default_version)
    base = _base(target)
    if version == V1:
        return base + "/v1" + path
    deployment = options.segment(target.options, "deployment_id", NAME)
    return f"{base}/deployments/{deployment}{path}?api-version={version}"


def bearer_token(opts: Mapping[str, str]) -> str | None:
    """An Entra ID token (``azure_ad_token``), without the "Bearer " some callers add."""
    token = opts.get("azure_ad_token")
    if not token:
        return None
    return token.removeprefix("Bearer ").strip() or None


def headers(target: Target) -> dict[str, str]:
    token = bearer_token(target.options)
    auth = {"Authorization": f"Bearer {token}"} if token else {"api-key": target.api_key}
    return {**auth, "Content-Type": "application/json", "Accept": "application/json"}


def credentials(api_key: str | None, opts: Mapping[str, str]) -> str | None:
    """An API key or an Entra ID token: either one authenticates (Portkey's precedence)."""
    if api_key or bearer_token(opts):
        return None
    return "an API key ('Authorization: Bearer <key>') or 'x-portkey-azure-ad-token'"
