"""From a loaded config to the plan the engine walks: Portkey's inheritance, applied once.

Parent to child (``handlerUtils.ts`` ``tryTargetsRecursively``): ``override_params``
are merged with the child winning per key; ``retry`` and ``cache`` are replaced
whole when the child has its own, else inherited; ``custom_host``,
``forward_headers`` and ``request_timeout`` are inherited when the child lacks
them. Provider credentials are never inherited (Portkey #855).
Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .nodes import ROOT_PATH, CacheSettings, ConfigNode, Group, Leaf, PlanNode, RetrySettings


@dataclass(frozen=True, slots=True)
class _Inherited:
    override_params: Mapping[str, Any] = field(default_factory=dict)
    retry: RetrySettings | None = None
    cache: CacheSettings | None = None
    custom_host: str | None = None
    forward_headers: tuple[str, ...] | None = None
    request_timeout: int | None = None


def _inherit(node: ConfigNode, parent: _Inherited) -> _Inherited:
    return _Inherited(
        override_params={**parent.override_params, **node.override_params},
        retry=node.retry if node.retry is not None else parent.retry,
        cache=node.cache if node.cache is not None else parent.cache,
        custom_host=node.custom_host if node.custom_host is not None else parent.custom_host,
        forward_headers=(
            node.forward_headers if node.forward_headers is not None else parent.forward_headers
        ),
        request_timeout=(
            node.request_timeout if node.request_timeout is not None else parent.request_timeout
        ),
    )


def _build(node: ConfigNode, parent: _Inherited, path: str) -> PlanNode:
    own = _inherit(node, parent)
    if node.strategy is not None and node.targets:
        children = tuple(
            _build(child, own, f"{path}.targets[{i}]") for i, child in enumerate(node.targets)
        )
        return Group(path, node.strategy, children, name=node.name, weight=node.weight)
    return Leaf(
        path=path,
        provider=node.provider,
        api_key=node.api_key,
        virtual_key=node.virtual_key,
        custom_host=own.custom_host,
        override_params=own.override_params,
        retry=own.retry,
        cache=own.cache,
        request_timeout=own.request_timeout,
        forward_headers=own.forward_headers,
        provider_options=dict(node.provider_options),
        name=node.name,
        weight=node.weight,
    )


def build(node: ConfigNode) -> PlanNode:
    """The plan for ``node`` (already checked by ``rules.check``); the root path is ``config``."""
    return _build(node, _Inherited(), ROOT_PATH)


def leaves(plan: PlanNode) -> Iterator[Leaf]:
    """Every leaf in order, e.g. to resolve each virtual key once before routing."""
    if isinstance(plan, Leaf):
        yield plan
        return
    for child in plan.children:
        yield from leaves(child)


def map_leaves(plan: PlanNode, change: Callable[[Leaf], Leaf]) -> PlanNode:
    """A copy of ``plan`` with every leaf replaced by ``change(leaf)``.

    The integrator resolves credentials this way (a virtual key becomes a
    provider and a key), so the engine and its attempt records see them.
    """
    if isinstance(plan, Leaf):
        return change(plan)
    return replace(plan, children=tuple(map_leaves(child, change) for child in plan.children))
