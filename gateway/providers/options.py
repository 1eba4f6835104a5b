"""Checks for provider options that become part of an upstream URL. Pure: no IO.

A caller may send ``resource_name``, ``aws_region`` and the like in headers or an
inline config; each lands in a host name or a path, so each is held to the
narrowest form the provider uses (SEC-2): a value that could add a host, a path
segment or a query is a 400 before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import InvalidRequest

DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
# One path segment, never "." or "..", which an HTTP client would collapse into the
# parent path (deployment_id=".." would call another endpoint).
PATH_SEGMENT = re.compile(r"^(?!\.{1,2}\Z)[A-Za-z0-9._~-]{1,128}\Z")
# A field an administrator stores with a virtual key (``KeyField``), checked when stored.
FIELD_VALUE = re.compile(r"^[A-Za-z0-9._-]{1,128}\Z")
# A field that becomes a DNS label in the upstream host (checked again, lower-cased, at use).
FIELD_DNS_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
# Where each option can come from, for messages.
_HEADER = {
    "resource_name": "x-portkey-azure-resource-name",
    "deployment_id": "x-portkey-azure-deployment-id",
    "api_version": "x-portkey-azure-api-version",
    "azure_foundry_url": "x-portkey-azure-foundry-url",
    "aws_region": "x-portkey-aws-region",
    "aws_access_key_id": "x-portkey-aws-access-key-id",
    "aws_secret_access_key": "x-portkey-aws-secret-access-key",
    "vertex_project_id": "x-portkey-vertex-project-id",
    "vertex_region": "x-portkey-vertex-region",
    "workers_ai_account_id": "x-portkey-workers-ai-account-id",
}


def required(options: Mapping[str, str], key: str, provider: str) -> str:
    value = options.get(key)
    if not value:
        header = _HEADER.get(key)
        where = f"the '{header}' header or " if header else ""
        raise InvalidRequest(
            f"{provider} needs '{key}': send {where}'{key}' in the config or virtual key.",
            param=key,
        )
    return value


def checked(value: str, key: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(value):
        raise InvalidRequest(f"'{key}' has a value that is not allowed here.", param=key)
    return value


def label(options: Mapping[str, str], key: str, provider: str) -> str:
    """A required option used as one DNS label (``{resource}.openai.azure.com``)."""
    return checked(required(options, key, provider).lower(), key, DNS_LABEL)


def segment(options: Mapping[str, str], key: str, provider: str) -> str:
    """A required option used as one URL path segment."""
    return checked(required(options, key, provider), key, PATH_SEGMENT)
