"""Saved configs: validation and the canonical text that versions are compared on.

A saved config is checked by the same schema as an inline ``x-portkey-config``
(``gateway.schemas.config.load_config``, once that module exists; until then,
strict JSON object only). A saved config may not hold a provider key
(``api_key``): it would sit in the database in clear, which SEC-6 forbids; the
administrator stores it as a virtual key and names that instead.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import GatewayError
from ..headers import SECRET_OPTIONS
from ..schemas.config import load_config
from ..strict_json import loads_object

MAX_CONFIG_BYTES = 64 * 1024


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Provider keys and every credential-bearing option (a secret access key, an AD token,
# a service-account JSON), in Portkey's snake_case and the camelCase it also accepts.
_SECRET_KEYS = {
    name for option in ("api_key", *SECRET_OPTIONS) for name in (option, _camel(option))
}


class ConfigRejected(ValueError):
    """The file is not a config we store; the message says where and why."""


def canonical(config: dict[str, Any]) -> str:
    """Key order and spacing do not make a new version; ``1`` and ``true`` still differ."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _secret_path(value: Any, path: str) -> str | None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in _SECRET_KEYS:
                    return f"{where}.{key}"
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


def validate(raw: bytes) -> dict[str, Any]:
    """Parse and check a config file; raise :class:`ConfigRejected`."""
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigRejected(f"the config is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        config = loads_object(raw, what="config")
    except GatewayError as exc:
        raise ConfigRejected(exc.message) from None
    # Before the schema: a key in a saved config would sit in the database unencrypted.
    found = _secret_path(config, "config")
    if found:
        raise ConfigRejected(
            f"{found}: a saved config may not hold a provider key or other credential; "
            "store it with `gateway virtual-keys create` and reference it with virtual_key"
        )
    try:
        load_config(config, where="config")
    except GatewayError as exc:
        where = f" ({exc.param})" if exc.param else ""
        raise ConfigRejected(f"{exc.message}{where}") from None
    return config
