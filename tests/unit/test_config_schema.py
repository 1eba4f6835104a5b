"""x-portkey-config: keys, casing, unknown-key paths and cross-field rules.

The SEC-8 bounds (nesting, counts, regex patterns): ``test_config_schema_bounds.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import CustomHostRejected, InvalidRequest
from gateway.routing.nodes import CacheSettings, ConfigNode, RetrySettings, Strategy
from gateway.schemas.config import PROVIDER_OPTIONS, load_config, needs_header_merge

KEY = "sk-test-CONFIGKEY0123456789"


def leaf(**extra: Any) -> dict[str, Any]:
    return {"provider": "openai", "api_key": KEY, **extra}


def group(mode: str, *targets: dict[str, Any], **strategy: Any) -> dict[str, Any]:
    return {"strategy": {"mode": mode, **strategy}, "targets": list(targets)}


def refused(config: dict[str, Any], **kw: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        load_config(config, **kw)
    assert info.value.status == 400
    return info.value


def test_a_leaf_keeps_its_fields_and_lowercases_the_provider():
    node = load_config({"provider": "OpenAI", "api_key": KEY, "name": "main", "weight": 2})
    assert node == ConfigNode(provider="openai", api_key=KEY, name="main", weight=2.0)
    assert KEY not in repr(node)


def test_every_target_field_is_loaded():
    options = {name: f"v-{i}" for i, name in enumerate(PROVIDER_OPTIONS)}
    options["azure_extra_params"] = "drop"
    options["vertex_service_account_json"] = {"type": "service_account"}
    node = load_config(
        {
            "provider": "azure-openai",
            "api_key": KEY,
            "custom_host": "https://img.example/v1",
            "override_params": {"model": "dall-e-3", "size": "1024x1024"},
            "retry": {"attempts": 3, "on_status_codes": [429, 408], "use_retry_after_header": True},
            "cache": {"mode": "simple", "max_age": 60},
            "request_timeout": 30000,
            "forward_headers": ["X-Team", "x-user"],
            **options,
        }
    )
    assert node.retry == RetrySettings(3, (429, 408), True)
    assert node.cache == CacheSettings("simple", 60)
    assert node.request_timeout == 30000
    assert node.forward_headers == ("x-team", "x-user")
    assert node.override_params == {"model": "dall-e-3", "size": "1024x1024"}
    assert node.custom_host == "https://img.example/v1"
    assert node.provider_options == {
        **options,
        "vertex_service_account_json": '{"type":"service_account"}',
    }
    assert len(PROVIDER_OPTIONS) == 18


def test_an_empty_config_is_valid_and_takes_the_headers():
    assert load_config({}) == ConfigNode()
    assert needs_header_merge(load_config({}))


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"retry": {"attempts": 1}}, True),
        ({"override_params": {"model": "dall-e-2"}}, True),
        ({"api_key": KEY}, True),
        (leaf(), False),
        ({"virtual_key": "team-openai"}, False),
        (group("fallback", leaf()), False),
    ],
)
def test_only_a_config_without_provider_or_targets_takes_the_headers(config, expected):
    assert needs_header_merge(load_config(config)) is expected


def test_retry_defaults_to_portkeys_codes():
    retry = load_config({"retry": {"attempts": 2}}).retry
    assert retry == RetrySettings(attempts=2, on_status_codes=None, use_retry_after_header=True)
    assert retry.codes == (429, 500, 502, 503, 504)


@pytest.mark.parametrize(
    ("config", "attribute", "expected"),
    [
        ({"apiKey": KEY, "provider": "openai"}, "api_key", KEY),
        ({"virtualKey": "vk-1"}, "virtual_key", "vk-1"),
        ({"customHost": "https://h.example"}, "custom_host", "https://h.example"),
        ({"requestTimeout": 5000}, "request_timeout", 5000),
        ({"forwardHeaders": ["x-a"]}, "forward_headers", ("x-a",)),
        ({"overrideParams": {"n": 1}}, "override_params", {"n": 1}),
        ({"retry": {"attempts": 1, "onStatusCodes": [503]}}, "retry", RetrySettings(1, (503,))),
        (
            {"retry": {"attempts": 1, "useRetryAfterHeader": True}},
            "retry",
            RetrySettings(1, None, True),
        ),
        ({"cache": {"mode": "semantic", "maxAge": 10}}, "cache", CacheSettings("semantic", 10)),
        ({"openaiOrganization": "org-1"}, "provider_options", {"openai_organization": "org-1"}),
        ({"awsRegion": "eu-west-1"}, "provider_options", {"aws_region": "eu-west-1"}),
    ],
)
def test_camel_case_keys_are_read_as_snake_case(config, attribute, expected):
    assert getattr(load_config(config), attribute) == expected


def test_camel_case_strategy_keys():
    node = load_config(group("fallback", leaf(), onStatusCodes=[429, 503]))
    assert node.strategy == Strategy(mode="fallback", on_status_codes=(429, 503))


def test_override_params_and_query_contents_keep_their_case():
    node = load_config(
        group(
            "conditional",
            leaf(name="a", overrideParams={"negativePrompt": "blur", "response_format": "url"}),
            conditions=[{"query": {"params.responseFormat": "url"}, "then": "a"}],
        )
    )
    assert node.targets[0].override_params == {"negativePrompt": "blur", "response_format": "url"}
    assert node.strategy.conditions[0].query == {"params.responseFormat": "url"}


def test_a_key_given_in_both_spellings_is_refused():
    error = refused({"api_key": KEY, "apiKey": KEY, "provider": "openai"})
    assert error.param == "x-portkey-config.apiKey"
    assert error.message == (
        "Invalid value for 'x-portkey-config.apiKey': is given twice (snake_case and camelCase)."
    )


@pytest.mark.parametrize(
    ("config", "param"),
    [
        ({"stratergy": {"mode": "fallback"}}, "x-portkey-config.stratergy"),
        (
            group("fallback", leaf(), leaf(retry={"atempts": 1})),
            "x-portkey-config.targets[1].retry.atempts",
        ),
        (
            group("fallback", leaf(), on_status_code=[429]),
            "x-portkey-config.strategy.on_status_code",
        ),
        ({"cache": {"mode": "simple", "maxage": 5}}, "x-portkey-config.cache.maxage"),
        (
            group("conditional", leaf(name="a"), conditions=[{"query": {}, "thenn": "a"}]),
            "x-portkey-config.strategy.conditions[0].thenn",
        ),
        ({"fooBar": 1}, "x-portkey-config.fooBar"),
        ({"strict_open_ai_compliance": False}, "x-portkey-config.strict_open_ai_compliance"),
        (
            group("single", group("fallback", leaf(providr="x"))),
            "x-portkey-config.targets[0].targets[0].providr",
        ),
    ],
)
def test_an_unknown_key_is_a_400_naming_its_path(config, param):
    error = refused(config)
    key = param.rsplit(".", 1)[1]
    assert (error.code, error.param) == ("invalid_config", param)
    assert error.message == f"Unknown key '{key}' at '{param}'."


def test_the_config_name_in_paths_can_be_chosen():
    error = refused({"stratergy": {}}, where="config 'main'")
    assert error.param == "config 'main'.stratergy"


@pytest.mark.parametrize(
    ("config", "param", "text"),
    [
        (group("roundrobin", leaf()), "strategy.mode", "Must be one of: single, fallback, "),
        ({"strategy": {}, "targets": [leaf()]}, "strategy.mode", "Missing data for required"),
        (group("loadbalance", leaf(weight="1")), "targets[0].weight", "Not a valid number."),
        (group("loadbalance", leaf(weight=True)), "targets[0].weight", "Not a valid number."),
        (group("loadbalance", leaf(weight=-1)), "targets[0].weight", "greater than or equal to 0"),
        ({"retry": {"attempts": 6}}, "retry.attempts", "less than or equal to 5."),
        ({"retry": {"attempts": 1.5}}, "retry.attempts", "Not a valid integer."),
        ({"retry": {"attempts": "1"}}, "retry.attempts", "Not a valid integer."),
        ({"retry": {}}, "retry.attempts", "Missing data for required field."),
        ({"retry": {"attempts": 1, "on_status_codes": [99]}}, "retry.on_status_codes[0]", "400"),
        ({"retry": {"attempts": 1, "on_status_codes": [429, 600]}}, "retry.on_status_codes[1]", ""),
        # Only error statuses retry or fall back: a 2xx is an answer, a 1xx/3xx never routed.
        (
            {"retry": {"attempts": 1, "on_status_codes": [200]}},
            "retry.on_status_codes[0]",
            "must be an error status between 400 and 599.",
        ),
        (
            {"retry": {"attempts": 1, "on_status_codes": [429, 399]}},
            "retry.on_status_codes[1]",
            "must be an error status between 400 and 599.",
        ),
        (
            {"strategy": {"mode": "fallback", "on_status_codes": [302]}, "targets": [leaf()]},
            "strategy.on_status_codes[0]",
            "must be an error status between 400 and 599.",
        ),
        (
            {"retry": {"attempts": 1, "use_retry_after_header": "true"}},
            "retry.use_retry_after_header",
            "Not a valid boolean.",
        ),
        ({"cache": {"mode": "exact"}}, "cache.mode", "Must be one of: simple, semantic."),
        (
            {"cache": {"mode": "simple", "max_age": 0}},
            "cache.max_age",
            "greater than or equal to 1",
        ),
        ({"request_timeout": 0}, "request_timeout", "greater than or equal to 1"),
        ({"request_timeout": 900_001}, "request_timeout", "less than or equal to 900000."),
        ({"forward_headers": ["Authorization"]}, "forward_headers[0]", "may not be forwarded"),
        ({"forward_headers": ["x-ok", "X-Forwarded-For"]}, "forward_headers[1]", "may not be"),
        ({"forward_headers": ["bad header"]}, "forward_headers[0]", "is not a header name."),
        ({"override_params": ["n", 1]}, "override_params", "Not a valid mapping type."),
        ({"name": None}, "name", "Field may not be null."),
        (
            {"targets": [], "strategy": {"mode": "single"}},
            "targets",
            "Length must be between 1 and 8.",
        ),
        (group("single", 5), "targets[0]", "Invalid input type."),
        ({"targets": {"a": 1}, "strategy": {"mode": "single"}}, "targets", "Not a valid list."),
        ({"provider": "open ai"}, "provider", "must be printable ASCII without spaces."),
    ],
)
def test_a_bad_value_is_a_400_naming_its_path(config, param, text):
    error = refused(config)
    assert (error.code, error.param) == ("invalid_config", f"x-portkey-config.{param}")
    assert error.message.startswith(f"Invalid value for 'x-portkey-config.{param}': ")
    assert text in error.message


def test_an_error_never_quotes_a_secret_value():
    error = refused({"provider": "openai", "api_key": "sk-secret value-123"})
    assert error.param == "x-portkey-config.api_key"
    assert "sk-secret" not in error.message


def _cond(then: str = "a", **query: Any) -> dict[str, Any]:
    return {"query": query or {"metadata.tier": "gold"}, "then": then}


@pytest.mark.parametrize(
    ("config", "param", "message"),
    [
        ({"targets": [leaf()]}, "strategy", "'targets' needs a 'strategy'."),
        ({"strategy": {"mode": "fallback"}, **leaf()}, "targets", "A 'strategy' needs 'targets'."),
        (
            group("conditional", leaf(name="a")),
            "strategy.conditions",
            "Mode 'conditional' needs 'conditions'.",
        ),
        (
            group("conditional", leaf(name="a"), conditions=[_cond("a"), _cond("b")]),
            "strategy.conditions[1].then",
            "'then' must name one of the targets.",
        ),
        (
            group("conditional", leaf(name="a"), conditions=[_cond()], default="z"),
            "strategy.default",
            "'default' must name one of the targets.",
        ),
        (
            group("fallback", leaf(name="a"), leaf(name="a")),
            "targets[1].name",
            "Target names must be unique.",
        ),
        (
            group("loadbalance", leaf(weight=0), leaf(weight=0)),
            "targets",
            "Mode 'loadbalance' needs a target with a weight above 0.",
        ),
        (
            group("fallback", leaf(name="a"), conditions=[_cond()]),
            "strategy.conditions",
            "'conditions' applies to mode 'conditional'.",
        ),
        (
            group("single", leaf(name="a"), default="a"),
            "strategy.default",
            "'default' applies to mode 'conditional'.",
        ),
        (
            group("loadbalance", leaf(), on_status_codes=[429]),
            "strategy.on_status_codes",
            "'on_status_codes' applies to mode 'fallback'.",
        ),
        (
            group("fallback", leaf(), {"override_params": {"n": 1}}),
            "targets[1]",
            "A target needs 'provider' or 'virtual_key'.",
        ),
        (
            group("fallback", leaf(virtual_key="vk")),
            "targets[0].api_key",
            "Give either 'api_key' or 'virtual_key', not both.",
        ),
        (
            {**group("fallback", leaf()), "provider": "openai"},
            "provider",
            "'provider' is not inherited by targets (Portkey #855): set it on each target.",
        ),
        ({**group("fallback", leaf()), "api_key": KEY}, "api_key", "'api_key' is not inherited"),
    ],
)
def test_cross_field_rules_name_the_path(config, param, message):
    error = refused(config)
    assert (error.code, error.param) == ("invalid_config", f"x-portkey-config.{param}")
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    "config",
    [
        group("single", {"virtual_key": "vk", "custom_host": "https://evil.example"}),
        {**group("single", {"virtual_key": "vk"}), "custom_host": "https://evil.example"},
        {"virtual_key": "vk", "customHost": "https://evil.example"},
    ],
)
def test_a_virtual_key_never_goes_to_a_caller_chosen_host(config):
    with pytest.raises(CustomHostRejected) as info:
        load_config(config)
    assert info.value.status == 400
    assert info.value.code == "custom_host_not_allowed"
    assert info.value.param.endswith(".virtual_key")


def test_single_and_loadbalance_keep_their_targets():
    node = load_config(group("loadbalance", leaf(weight=0), leaf(weight=0.5, name="b")))
    assert [t.weight for t in node.targets] == [0.0, 0.5]
    assert node.targets[1].name == "b"
