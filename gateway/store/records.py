"""The records of gateway API keys, virtual keys and saved configs, as the store reads them.

They carry no plaintext secret: a gateway API key is only ever a digest, and a virtual
key's secret stays sealed until ``KeyStore.open_secret`` (``gateway.credentials.store``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    name: str  # the team
    digest: str  # HMAC-SHA256(pepper, key), hex
    hint: str  # last 4 characters
    created_at: float
    last_used_at: float | None
    revoked_at: float | None
    # Limits (None = none): requests and images per minute, spend per UTC day / month.
    limit_rpm: int | None = None
    limit_ipm: int | None = None
    limit_daily_micro_usd: int | None = None
    limit_monthly_micro_usd: int | None = None


# The limit columns ``set_api_key_limits`` may change (``gateway.limits`` reads them).
LIMIT_FIELDS = ("limit_rpm", "limit_ipm", "limit_daily_micro_usd", "limit_monthly_micro_usd")


@dataclass(frozen=True, slots=True)
class VirtualKeyInfo:
    """A virtual key as ``list`` and ``show`` see it: masked, never the secret."""

    id: str
    name: str
    provider: str
    hint: str
    base_url: str | None
    fields: Mapping[str, str]
    teams: tuple[str, ...]  # empty: every team may use it
    disabled_at: float | None
    created_at: float
    updated_at: float

    def allows(self, team: str | None) -> bool:
        return not self.teams or team in self.teams


@dataclass(frozen=True, slots=True)
class ConfigInfo:
    name: str
    version: int  # the latest
    updated_at: float
