"""Where a request's routing config comes from. Pure apart from the saved-config lookup.

``x-portkey-config`` holds inline JSON or the name of a saved config; without it
the plain headers make a one-target config. As in Portkey, a config with neither
``provider`` nor ``targets`` takes the provider and ``Authorization`` key from the
headers. Virtual keys wait for gateway authentication: until a request is tied to
a team, a stored provider key must not be usable by whoever reaches the gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .errors import InvalidRequest
from .headers import CONFIG, VIRTUAL_KEY
from .models import RequestOptions
from .routing import plan
from .routing.nodes import ConfigNode, Leaf, PlanNode
from .schemas.config import load_config, needs_header_merge
from .strict_json import loads_object

MAX_CONFIG_HEADER = 8192
SavedConfigs = Callable[[str], tuple[int, dict[str, Any]]]


def _node(
    options: RequestOptions, saved: SavedConfigs
) -> tuple[ConfigNode, str | None, int | None]:
    raw = options.config
    if raw is None:
        return ConfigNode(provider=options.provider, api_key=options.api_key), None, None
    if len(raw) > MAX_CONFIG_HEADER:
        raise InvalidRequest(
            f"'{CONFIG}' is longer than {MAX_CONFIG_HEADER} bytes; save it with "
            "`gateway configs put` and send its name.",
            param=CONFIG,
            code="config_too_large",
        )
    if raw.lstrip().startswith("{"):
        data = loads_object(raw, what=f"'{CONFIG}' header", param=CONFIG)
        return load_config(data), None, None
    version, data = saved(raw.strip())
    return load_config(data, where=CONFIG), raw.strip(), version


def _merge_headers(node: ConfigNode, options: RequestOptions) -> ConfigNode:
    """Header values fill in what the config leaves open; the headers win where both speak."""
    changes: dict[str, Any] = {}
    if needs_header_merge(node):
        changes.update(provider=node.provider or options.provider, api_key=options.api_key)
    if options.custom_host:
        changes["custom_host"] = options.custom_host
    if options.timeout_ms is not None:
        changes["request_timeout"] = options.timeout_ms
    return dataclasses.replace(node, **changes) if changes else node


def build_plan(
    options: RequestOptions, saved: SavedConfigs
) -> tuple[PlanNode, str | None, int | None]:
    """The routing plan for this request, and the saved config's name and version if any."""
    if options.virtual_key:
        raise InvalidRequest(
            f"'{VIRTUAL_KEY}' is not accepted yet: virtual keys need gateway authentication, "
            "which is not enabled in this version.",
            param=VIRTUAL_KEY,
            code="unsupported_header",
        )
    node, name, version = _node(options, saved)
    root = plan.build(_merge_headers(node, options))
    for leaf in plan.leaves(root):
        _check_leaf(leaf)
    return root, name, version


def _check_leaf(leaf: Leaf) -> None:
    if leaf.virtual_key:
        raise InvalidRequest(
            "Virtual keys in configs need gateway authentication, which is not enabled in "
            "this version.",
            param=f"{CONFIG}{leaf.path[len('config') :]}.virtual_key",
            code="unsupported_config_key",
        )
