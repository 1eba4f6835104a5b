"""Rules a config tree must keep across fields, and its SEC-8 bounds.

The schema checks each key's type; this module checks what only the whole
tree can say (a ``then`` names a sibling, weights are not all 0, nesting and
leaf counts), so ``plan.build`` and the engine never meet a broken tree.
Every error is a 400 whose ``param`` is the path of the offending key.
Pure: no IO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import CustomHostRejected, InvalidRequest
from .nodes import MAX_DEPTH, MAX_LEAVES, ConfigNode, Strategy

MAX_PATTERNS = 16  # $regex per config: each may cost tens of ms per request
_CREDENTIALS = ("provider", "api_key", "virtual_key")


def _error(path: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=path, code="invalid_config")


def needs_header_merge(node: ConfigNode) -> bool:
    """Portkey's rule: only a config with no provider and no targets takes
    ``x-portkey-provider`` and ``Authorization`` from the headers. A virtual
    key also counts as a provider: with one, the caller's Authorization is ignored."""
    return node.provider is None and node.virtual_key is None and not node.targets


def _walk(node: ConfigNode) -> Iterator[ConfigNode]:
    yield node
    for child in node.targets:
        yield from _walk(child)


def _patterns(query: Any) -> int:
    if isinstance(query, re.Pattern):
        return 1
    if isinstance(query, Mapping):
        return sum(_patterns(value) for value in query.values())
    if isinstance(query, tuple | list):
        return sum(_patterns(value) for value in query)
    return 0


def _check_strategy(strategy: Strategy, names: set[str], path: str) -> None:
    where = f"{path}.strategy"
    if strategy.on_status_codes is not None and strategy.mode != "fallback":
        raise _error(f"{where}.on_status_codes", "'on_status_codes' applies to mode 'fallback'.")
    if strategy.mode != "conditional":
        if strategy.conditions or strategy.default is not None:
            key = "conditions" if strategy.conditions else "default"
            raise _error(f"{where}.{key}", f"'{key}' applies to mode 'conditional'.")
        return
    if not strategy.conditions:
        raise _error(f"{where}.conditions", "Mode 'conditional' needs 'conditions'.")
    for i, condition in enumerate(strategy.conditions):
        if condition.then not in names:
            raise _error(f"{where}.conditions[{i}].then", "'then' must name one of the targets.")
    if strategy.default is not None and strategy.default not in names:
        raise _error(f"{where}.default", "'default' must name one of the targets.")


def _check_group(node: ConfigNode, strategy: Strategy, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _error(f"{path}.targets", f"Targets may nest at most {MAX_DEPTH} levels deep.")
    for key in _CREDENTIALS:
        if getattr(node, key) is not None:
            raise _error(
                f"{path}.{key}",
                f"'{key}' is not inherited by targets (Portkey #855): set it on each target.",
            )
    names: set[str] = set()
    for i, child in enumerate(node.targets):
        if child.name is not None and child.name in names:
            raise _error(f"{path}.targets[{i}].name", "Target names must be unique.")
        names.add(child.name or "")
    _check_strategy(strategy, names - {""}, path)
    if strategy.mode == "loadbalance" and not any(child.weight > 0 for child in node.targets):
        raise _error(f"{path}.targets", "Mode 'loadbalance' needs a target with a weight above 0.")


def _check_leaf(node: ConfigNode, path: str, root: bool, host: str | None) -> None:
    if not root and node.provider is None and node.virtual_key is None:
        raise _error(path, "A target needs 'provider' or 'virtual_key'.")
    if node.api_key is not None and node.virtual_key is not None:
        raise _error(f"{path}.api_key", "Give either 'api_key' or 'virtual_key', not both.")
    if node.virtual_key is not None and host is not None:
        # SEC-2: a stored secret never travels to a host the caller chose.
        raise CustomHostRejected(
            "A virtual key cannot be used with 'custom_host'; the virtual key's own endpoint "
            "is used, or send your own 'api_key'.",
            param=f"{path}.virtual_key",
        )


def _check(node: ConfigNode, path: str, depth: int, host: str | None) -> None:
    host = node.custom_host or host  # inherited, as in Portkey
    if node.targets and node.strategy is None:
        raise _error(f"{path}.strategy", "'targets' needs a 'strategy'.")
    if node.strategy is not None and not node.targets:
        raise _error(f"{path}.targets", "A 'strategy' needs 'targets'.")
    if node.strategy is None:
        _check_leaf(node, path, depth == 0, host)
        return
    _check_group(node, node.strategy, path, depth + 1)
    for i, child in enumerate(node.targets):
        _check(child, f"{path}.targets[{i}]", depth + 1, host)


def check(node: ConfigNode, where: str = "x-portkey-config") -> None:
    """Raise :class:`InvalidRequest` at the path of the first broken rule in ``node``."""
    _check(node, where, 0, None)
    if sum(1 for item in _walk(node) if not item.targets) > MAX_LEAVES:
        raise _error(where, f"A config may hold at most {MAX_LEAVES} targets in total.")
    strategies = [item.strategy for item in _walk(node) if item.strategy is not None]
    count = sum(_patterns(c.query) for s in strategies for c in s.conditions)
    if count > MAX_PATTERNS:
        raise _error(where, f"A config may use '$regex' at most {MAX_PATTERNS} times.")
