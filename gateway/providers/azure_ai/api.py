"""Where and how to call Azure AI Foundry / Inference: the Foundry URL, headers, auth.

The endpoint is the caller's ``azure_foundry_url`` (Portkey's ``x-portkey-azure-foundry-url``,
e.g. ``https://res.services.ai.azure.com/openai/deployments/dall-e-3``), or a virtual
key's admin-set base URL / an allowlisted custom host, which arrive as
``target.base_url`` and win. A caller-supplied URL is not on the custom-host
allowlist, so it must be https on an Azure host suffix: anything else is a 400
before any key is sent (SEC-2). Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ...errors import InvalidRequest
from ...models import Target
from .. import options
from ..azure_openai import api as azure_openai
from ..base import KeyField

NAME = "azure-ai"
PATH = "/images/generations"
FOUNDRY_URL = "azure_foundry_url"
# Hosts Azure serves Foundry / AI Inference / Azure OpenAI endpoints from.
AZURE_SUFFIXES = (
    ".services.ai.azure.com",
    ".models.ai.azure.com",
    ".inference.ai.azure.com",
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
_PATH = re.compile(r"^(?:/[A-Za-z0-9._~-]{1,128}){0,8}/?\Z")
# The Azure AI Inference "extra-parameters" header: what Azure does with unknown fields.
EXTRA_PARAMS = re.compile(r"^(drop|pass-through|error)\Z")
DEPLOYMENT = re.compile(r"^[A-Za-z0-9._-]{1,128}\Z")
# The Foundry endpoint itself is the key's --base-url.
VIRTUAL_KEY_FIELDS = (
    KeyField("api_version"),
    KeyField("azure_deployment_name"),
    KeyField("azure_extra_params", EXTRA_PARAMS),
)


def _refuse(why: str) -> InvalidRequest:
    return InvalidRequest(f"'{FOUNDRY_URL}' {why}.", param=FOUNDRY_URL)


def foundry_url(opts: Mapping[str, str]) -> str:
    """The caller's Foundry URL, held to https on an Azure host with a plain path."""
    raw = options.required(opts, FOUNDRY_URL, NAME).strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise _refuse("is not a valid URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or port not in (None, 443):
        raise _refuse("must be an https URL on the default port")
    if parts.username or parts.password or parts.query or parts.fragment or "@" in raw:
        raise _refuse("must not contain credentials, a query or a fragment")
    if not _HOST.match(host) or not host.endswith(AZURE_SUFFIXES):
        raise _refuse("must be an Azure endpoint (" + ", ".join(AZURE_SUFFIXES) + ")")
    if not _PATH.match(parts.path) or {".", ".."} & set(parts.path.split("/")):
        raise _refuse("has a path that is not allowed")
    return f"https://{host}{parts.path}".rstrip("/")


def url(target: Target) -> str:
    base = target.base_url.rstrip("/") if target.base_url else foundry_url(target.options)
    version = azure_openai.api_version(target.options)
    if version == azure_openai.V1:
        return base + PATH  # the URL itself is the version-less ".../openai/v1"
    return f"{base}{PATH}?api-version={version}"


def headers(target: Target) -> dict[str, str]:
    opts = target.options
    token = azure_openai.bearer_token(opts) or target.api_key
    extra = options.checked(
        opts.get("azure_extra_params") or "drop", "azure_extra_params", EXTRA_PARAMS
    )
    result = {
        "Authorization": f"Bearer {token}",
        "extra-parameters": extra,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    deployment = opts.get("azure_deployment_name")
    if deployment:
        result["azureml-model-deployment"] = options.checked(
            deployment, "azure_deployment_name", DEPLOYMENT
        )
    return result
