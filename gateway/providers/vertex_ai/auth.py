"""Which Google credential a Vertex target carries, and the project it implies. Pure.

Either an OAuth access token (the provider key, sent as ``Bearer``) or a
service-account JSON key: from ``vertex_service_account_json`` (header or config),
or as the provider key itself (a virtual key's secret). A service account is not
exchanged here: the call carries ``GoogleServiceAccount`` and ``gateway/outbound/signing.py``
mints (and caches) the token just before sending.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequest

OPTION = "vertex_service_account_json"


def service_account_text(api_key: str | None, options: Mapping[str, str]) -> str | None:
    """The service-account JSON in play, if any (the explicit option wins)."""
    if options.get(OPTION):
        return options[OPTION]
    if api_key and api_key.lstrip().startswith("{"):
        return api_key
    return None


def credentials(api_key: str | None, options: Mapping[str, str]) -> str | None:
    if api_key or options.get(OPTION):
        return None
    return (
        "a Google OAuth access token (Authorization: Bearer) or a service-account key "
        "('x-portkey-vertex-service-account-json')"
    )


def service_account(text: str) -> dict[str, Any]:
    """The parsed key; only its shape is checked here, the signer checks the rest."""
    try:
        info = json.loads(text)
    except (ValueError, RecursionError):
        info = None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise InvalidRequest(
            f"'{OPTION}' is not a Google service-account key (JSON with "
            '"type": "service_account").',
            param=OPTION,
        )
    return info
