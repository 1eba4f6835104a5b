"""The ``x-portkey-config`` object: Portkey-compatible keys, checked strictly.

snake_case names are canonical and their camelCase spellings are accepted too
(Portkey validates only snake_case but runs on camelCase). The contents of
``override_params`` and of a condition's ``query`` are never renamed. Unlike
Portkey (zod strips nothing but checks little), an unknown key anywhere is a
400 naming its path: a typo like ``stratergy`` must not be silently ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load
from marshmallow.validate import Length, OneOf, Range, Regexp

from ..errors import InvalidRequest
from ..headers import FORWARD_MAX_HEADERS, NEVER_FORWARD, NEVER_FORWARD_PREFIXES
from ..routing.conditions import QueryError, compile_query
from ..routing.nodes import (
    MAX_CONDITIONS,
    MAX_RETRY_ATTEMPTS,
    MAX_TARGETS,
    MODES,
    CacheSettings,
    Condition,
    ConfigNode,
    RetrySettings,
    Strategy,
)
from ..routing.rules import check, needs_header_merge

__all__ = ["PROVIDER_OPTIONS", "load_config", "needs_header_merge"]

PROVIDER_OPTIONS = (
    "openai_organization",
    "openai_project",
    "resource_name",
    "deployment_id",
    "api_version",
    "azure_model_name",
    "azure_foundry_url",
    "aws_region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "vertex_project_id",
    "vertex_region",
    "workers_ai_account_id",
    "azure_ad_token",
    "azure_extra_params",
    "azure_deployment_name",
    "vertex_service_account_json",
)
# Values that end up in upstream headers or URLs: printable ASCII, no spaces.
_TOKEN = Regexp(r"^[\x21-\x7e]+\Z", error="must be printable ASCII without spaces.")
_HEADER_NAME = Regexp(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}\Z", error="is not a header name.")
_UNKNOWN = "unknown key"


def _token(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=[Length(1, max_len), _TOKEN], **kw)


def _forwardable(name: str) -> None:
    lowered = name.lower()
    if lowered in NEVER_FORWARD or lowered.startswith(NEVER_FORWARD_PREFIXES):
        # Same rule as x-portkey-forward-headers: credentials and hop-by-hop never go upstream.
        raise ValidationError("may not be forwarded (credential, hop-by-hop or proxy header).")


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: str(m[1]).upper(), name)


def _codes() -> fields.List[int]:
    """Statuses that retry or fall back: errors only. A 2xx is an answer and never
    retried; a 1xx or 3xx never reaches routing, so listing one is a mistake."""
    error = "must be an error status between 400 and 599."
    status = fields.Integer(strict=True, validate=Range(400, 599, error=error))
    return fields.List(status, validate=Length(max=100))


class _StrictFloat(fields.Float):
    """Numbers only: marshmallow's Float would accept ``"1.5"``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kw)


class _Keys(Schema):
    """Unknown keys are errors; ``onStatusCodes`` is read as ``on_status_codes``."""

    error_messages = {"unknown": _UNKNOWN}  # noqa: RUF012 (marshmallow merges this dict)

    class Meta:
        unknown = RAISE

    @pre_load
    def _snake_case(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow reports the type
        aliases = {_camel(str(field)): str(field) for field in self.declared_fields}
        renamed: dict[str, Any] = {}
        for key, value in data.items():
            name = aliases[key] if key in aliases else str(key)
            if name in renamed:
                raise ValidationError("is given twice (snake_case and camelCase).", key)
            renamed[name] = value
        return renamed


class RetrySchema(_Keys):
    attempts = fields.Integer(required=True, strict=True, validate=Range(0, MAX_RETRY_ATTEMPTS))
    on_status_codes = _codes()
    use_retry_after_header = fields.Boolean(truthy={True}, falsy={False})


class CacheSchema(_Keys):
    mode = fields.String(required=True, validate=OneOf(("simple", "semantic")))
    max_age = fields.Integer(strict=True, validate=Range(1, 2**31 - 1))


class ConditionSchema(_Keys):
    query = fields.Dict(keys=fields.String(), required=True)  # contents checked in _node
    then = fields.String(required=True, validate=Length(1, 128))


class StrategySchema(_Keys):
    mode = fields.String(required=True, validate=OneOf(MODES))
    on_status_codes = _codes()
    conditions = fields.List(fields.Nested(ConditionSchema), validate=Length(max=MAX_CONDITIONS))
    default = fields.String(validate=Length(1, 128))


class ConfigSchema(_Keys):
    strategy = fields.Nested(StrategySchema)
    targets = fields.List(fields.Nested(lambda: ConfigSchema()), validate=Length(1, MAX_TARGETS))
    name = fields.String(validate=Length(1, 128))
    weight = _StrictFloat(validate=Range(0, 1_000_000))
    provider = _token(64)
    api_key = _token(4096)
    virtual_key = _token(256)
    custom_host = _token(2048)
    override_params = fields.Dict(keys=fields.String())
    retry = fields.Nested(RetrySchema)
    cache = fields.Nested(CacheSchema)
    request_timeout = fields.Integer(strict=True, validate=Range(1, 900_000))
    forward_headers = fields.List(
        fields.String(validate=[_HEADER_NAME, _forwardable]),
        validate=Length(max=FORWARD_MAX_HEADERS),
    )
    # PROVIDER_OPTIONS, kept apart in ConfigNode.provider_options.
    openai_organization = _token(256)
    openai_project = _token(256)
    resource_name = _token(256)
    deployment_id = _token(256)
    api_version = _token(64)
    azure_model_name = _token(256)
    azure_foundry_url = _token(2048)
    aws_region = _token(64)
    aws_access_key_id = _token(256)
    aws_secret_access_key = _token(4096)
    aws_session_token = _token(4096)
    vertex_project_id = _token(256)
    vertex_region = _token(64)
    workers_ai_account_id = _token(256)
    azure_ad_token = fields.String(
        validate=[Length(1, 8192), Regexp(r"^(Bearer )?[\x21-\x7e]+\Z", error=_TOKEN.error)]
    )
    azure_extra_params = fields.String(validate=OneOf(("drop", "pass-through", "error")))
    azure_deployment_name = _token(256)
    # An object in Portkey's configs; kept as its JSON text.
    vertex_service_account_json = fields.Dict(keys=fields.String())


_SCHEMA = ConfigSchema()


def _option(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _leaves(messages: Any, parts: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every failing key's path (names and list indexes) with its message, in order."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _leaves(value, parts if key == "_schema" else (*parts, key))
    elif isinstance(messages, list):
        for value in messages:
            yield from _leaves(value, parts)
    else:
        yield parts, str(messages)


def _path(where: str, parts: tuple[Any, ...]) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _translate(exc: ValidationError, where: str) -> InvalidRequest:
    errors = list(_leaves(exc.messages))
    # A misspelt key also makes its intended key "missing": name the typo.
    parts, text = next((e for e in errors if e[1] == _UNKNOWN), errors[0])
    param = _path(where, parts)
    if text == _UNKNOWN:
        message = f"Unknown key '{str(parts[-1])[:64]}' at '{param}'."
    else:
        message = f"Invalid value for '{param}': {text}"
    return InvalidRequest(message, param=param, code="invalid_config")


def _conditions(items: list[dict[str, Any]], path: str) -> tuple[Condition, ...]:
    out = []
    for i, item in enumerate(items):
        where = f"{path}.conditions[{i}].query"
        try:
            query = compile_query(item["query"])
        except QueryError as exc:
            raise InvalidRequest(
                f"Invalid value for '{where}{exc.where}': {exc.message}.",
                param=f"{where}{exc.where}",
                code="invalid_config",
            ) from None
        out.append(Condition(query=query, then=item["then"]))
    return tuple(out)


def _strategy(data: dict[str, Any] | None, path: str) -> Strategy | None:
    if data is None:
        return None
    codes = data.get("on_status_codes")
    return Strategy(
        mode=data["mode"],
        on_status_codes=None if codes is None else tuple(codes),
        conditions=_conditions(data.get("conditions", []), f"{path}.strategy"),
        default=data.get("default"),
    )


def _retry(data: dict[str, Any] | None) -> RetrySettings | None:
    if data is None:
        return None
    codes = data.get("on_status_codes")
    return RetrySettings(
        attempts=data["attempts"],
        on_status_codes=None if codes is None else tuple(codes),
        use_retry_after_header=data.get("use_retry_after_header", True),
    )


def _node(data: dict[str, Any], path: str) -> ConfigNode:
    cache, headers = data.get("cache"), data.get("forward_headers")
    targets = data.get("targets", [])
    return ConfigNode(
        strategy=_strategy(data.get("strategy"), path),
        targets=tuple(_node(t, f"{path}.targets[{i}]") for i, t in enumerate(targets)),
        name=data.get("name"),
        weight=float(data.get("weight", 1.0)),
        provider=data["provider"].lower() if "provider" in data else None,
        api_key=data.get("api_key"),
        virtual_key=data.get("virtual_key"),
        custom_host=data.get("custom_host"),
        override_params=data.get("override_params", {}),
        retry=_retry(data.get("retry")),
        cache=None if cache is None else CacheSettings(cache["mode"], cache.get("max_age")),
        request_timeout=data.get("request_timeout"),
        forward_headers=None if headers is None else tuple(h.lower() for h in headers),
        provider_options={k: _option(data[k]) for k in PROVIDER_OPTIONS if k in data},
    )


def load_config(data: Mapping[str, Any], *, where: str = "x-portkey-config") -> ConfigNode:
    """Validate a parsed config object; raise :class:`InvalidRequest` naming the key's path.

    ``where`` names the config in ``param`` paths: the header, or a saved config.
    """
    try:
        loaded = _SCHEMA.load(data)
    except ValidationError as exc:
        raise _translate(exc, where) from None
    node = _node(loaded, where)
    check(node, where)
    return node
