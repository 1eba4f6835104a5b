"""Where a request's routing config comes from. Pure apart from the saved-config lookup.

``x-portkey-config`` holds inline JSON or the name of a saved config; without it
the plain headers make a one-target config. As in Portkey, a config with neither
``provider`` nor ``targets`` takes the provider and ``Authorization`` key from the
headers. Virtual keys wait for gateway authentication: until a request is tied to
a team, a stored provider key must not be usable by whoever reaches the gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .errors import CustomHostRejected, InvalidRequest
from .headers import CONFIG, CUSTOM_HOST, SECRET_OPTIONS, VIRTUAL_KEY
from .models import RequestOptions
from .redact import remember
from .routing import plan
from .routing.nodes import ConfigNode, Leaf, PlanNode
from .schemas.config import load_config, needs_header_merge
from .strict_json import is_json, loads_object

MAX_CONFIG_HEADER = 8192
# Options a caller may still set on a virtual-key target: none of them picks a host or
# a path, and none is a credential (the key's own fields win over them).
CALLER_OPTIONS_WITH_KEYS = frozenset(
    {
        "openai_organization",
        "openai_project",
        "api_version",
        "azure_extra_params",
        "azure_deployment_name",
    }
)
SavedConfigs = Callable[[str], tuple[int, dict[str, Any]]]


class StoredKey(Protocol):
    """A resolved virtual key (``credentials.VirtualKey``): what a target takes from it."""

    @property
    def provider(self) -> str: ...

    @property
    def secret(self) -> str: ...

    @property
    def base_url(self) -> str | None: ...

    @property
    def fields(self) -> Mapping[str, str]: ...


# (virtual key name, config param path) -> the key; None when the request has no
# authenticated team.
VirtualKeys = Callable[[str, str], StoredKey] | None


def _node(
    options: RequestOptions, saved: SavedConfigs
) -> tuple[ConfigNode, str | None, int | None]:
    raw = options.config
    if raw is None and options.virtual_key:
        return ConfigNode(virtual_key=options.virtual_key), None, None
    if raw is None:
        # Header mode: the x-portkey-azure-*/aws-*/vertex-* headers are this target's options.
        node = ConfigNode(
            provider=options.provider,
            api_key=options.api_key,
            provider_options=dict(options.provider_options),
        )
        return node, None, None
    if len(raw) > MAX_CONFIG_HEADER:
        raise InvalidRequest(
            f"'{CONFIG}' is longer than {MAX_CONFIG_HEADER} bytes; save it with "
            "`gateway configs put` and send its name.",
            param=CONFIG,
            code="config_too_large",
        )
    if is_json(raw):
        # An object is an inline config; JSON that is not one ([...], "openai", 42, true)
        # is a 400 naming the header, never looked up as a saved config's name.
        data = loads_object(raw, what=f"'{CONFIG}' header", param=CONFIG)
        return load_config(data), None, None
    version, data = saved(raw.strip())
    return load_config(data, where=CONFIG), raw.strip(), version


def _merge_headers(node: ConfigNode, options: RequestOptions) -> ConfigNode:
    """Header values fill in what the config leaves open; the headers win where both speak."""
    changes: dict[str, Any] = {}
    if needs_header_merge(node):
        changes.update(provider=node.provider or options.provider, api_key=options.api_key)
        if options.provider_options:
            changes["provider_options"] = {**node.provider_options, **options.provider_options}
    if options.custom_host:
        changes["custom_host"] = options.custom_host
    if options.timeout_ms is not None:
        changes["request_timeout"] = options.timeout_ms
    return dataclasses.replace(node, **changes) if changes else node


def build_plan(
    options: RequestOptions, saved: SavedConfigs, virtual_keys: VirtualKeys
) -> tuple[PlanNode, str | None, int | None]:
    """The routing plan for this request, and the saved config's name and version if any."""
    node, name, version = _node(options, saved)
    if options.virtual_key and needs_header_merge(node):
        node = dataclasses.replace(node, virtual_key=options.virtual_key)
    root = plan.build(_merge_headers(node, options))
    root = plan.map_leaves(root, lambda leaf: _resolve(leaf, options, virtual_keys))
    for leaf in plan.leaves(root):
        secrets = [v for k, v in leaf.provider_options.items() if k in SECRET_OPTIONS]
        remember(*secrets, *(v.removeprefix("Bearer ") for v in secrets))
    return root, name, version


def config_param(leaf: Leaf, key: str) -> str:
    """Where ``key`` of this target sits, as an error's ``param``."""
    return f"{CONFIG}{leaf.path[len('config') :]}.{key}" if leaf.path != "config" else key


def virtual_key_param(leaf: Leaf, options: RequestOptions) -> str:
    """Where this target's virtual key was named: its path in the config, or the header."""
    if leaf.path != "config":
        return config_param(leaf, "virtual_key")
    from_config = options.config is not None and leaf.virtual_key != options.virtual_key
    return f"{CONFIG}.virtual_key" if from_config else VIRTUAL_KEY


def _resolve(leaf: Leaf, options: RequestOptions, virtual_keys: VirtualKeys) -> Leaf:
    if not leaf.virtual_key:
        return leaf
    param = virtual_key_param(leaf, options)
    if virtual_keys is None:
        raise InvalidRequest(
            "Virtual keys need a gateway API key: send 'x-portkey-api-key: pkgw_...' "
            "(or 'Authorization: Bearer pkgw_...').",
            param=param,
            code="gateway_key_required",
        )
    if leaf.custom_host:
        # Checked before any lookup or connection: a stored key never goes to a
        # caller-chosen host (SEC-2).
        raise CustomHostRejected(
            "A custom host cannot be combined with a virtual key.", param=CUSTOM_HOST
        )
    key = virtual_keys(leaf.virtual_key, param)
    remember(key.secret)
    # A caller's resource name, region, project or Foundry URL would choose the host
    # the stored secret is sent to (SEC-2): only options that cannot are kept.
    kept = {k: v for k, v in leaf.provider_options.items() if k in CALLER_OPTIONS_WITH_KEYS}
    return dataclasses.replace(
        leaf,
        provider=key.provider,
        api_key=key.secret,
        base_url=key.base_url,
        provider_options={**kept, **key.fields},
    )
