"""Value objects of routing: the config tree as loaded, and the resolved plan.

``ConfigNode`` mirrors one object of ``x-portkey-config`` (snake_case names).
``plan.build`` turns it into ``Group`` and ``Leaf`` nodes with Portkey's
inheritance already applied, so the engine never looks at a parent again.
Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# SEC-8: one request must not fan out into attempts x targets^depth paid generations.
MAX_DEPTH = 3  # levels of ``targets``
MAX_TARGETS = 8  # per level
MAX_LEAVES = 16  # in the whole tree
MAX_RETRY_ATTEMPTS = 5  # Portkey documents "up to 5" but never enforces it
MAX_CONDITIONS = 16
MAX_UPSTREAM_ATTEMPTS = 6  # per request, across the whole tree

# Portkey's RETRY_STATUS_CODES (globals.ts).
DEFAULT_RETRY_CODES = (429, 500, 502, 503, 504)

MODES = ("single", "fallback", "loadbalance", "conditional")
ROOT_PATH = "config"


@dataclass(frozen=True, slots=True)
class Condition:
    """``query`` is already checked and its ``$regex`` patterns compiled."""

    query: Mapping[str, Any]
    then: str


@dataclass(frozen=True, slots=True)
class Strategy:
    mode: str
    # None: fall back on any non-2xx (Portkey); a list: only on those statuses.
    on_status_codes: tuple[int, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True)
class RetrySettings:
    attempts: int
    # None: DEFAULT_RETRY_CODES. Kept apart from an explicit list, which may add 408.
    on_status_codes: tuple[int, ...] | None = None
    # Portkey's default is False (its back-off ignores the header); ours honours it.
    use_retry_after_header: bool = True

    @property
    def codes(self) -> tuple[int, ...]:
        return DEFAULT_RETRY_CODES if self.on_status_codes is None else self.on_status_codes


@dataclass(frozen=True, slots=True)
class CacheSettings:
    mode: str
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class ConfigNode:
    """One object of the config, as the caller wrote it (after validation)."""

    strategy: Strategy | None = None
    targets: tuple[ConfigNode, ...] = ()
    name: str | None = None
    weight: float = 1.0
    provider: str | None = None
    api_key: str | None = field(default=None, repr=False)
    virtual_key: str | None = None
    custom_host: str | None = None
    override_params: Mapping[str, Any] = field(default_factory=dict)
    retry: RetrySettings | None = None
    cache: CacheSettings | None = None
    request_timeout: int | None = None  # milliseconds, per attempt
    # None: not given (inherited); () given empty (not inherited, as in Portkey).
    forward_headers: tuple[str, ...] | None = None
    provider_options: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A target the engine can call: what the integrator's ``attempt`` receives.

    ``path`` is Portkey's ``x-portkey-last-used-option-index`` for this target.
    """

    path: str
    provider: str | None = None
    api_key: str | None = field(default=None, repr=False)
    virtual_key: str | None = None
    custom_host: str | None = None
    override_params: Mapping[str, Any] = field(default_factory=dict)
    retry: RetrySettings | None = None
    cache: CacheSettings | None = None
    request_timeout: int | None = None
    forward_headers: tuple[str, ...] | None = None
    provider_options: Mapping[str, str] = field(default_factory=dict, repr=False)
    name: str | None = None
    weight: float = 1.0
    # An admin-set endpoint from a resolved virtual key (never caller-chosen).
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """A node with a strategy over its children."""

    path: str
    strategy: Strategy
    children: tuple[PlanNode, ...]
    name: str | None = None
    weight: float = 1.0


PlanNode = Leaf | Group
