"""x-portkey-config bounds (SEC-8): nesting depth, targets, conditions and regex patterns."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gateway.schemas.config import load_config
from tests.unit.test_config_schema import _cond, group, leaf, refused


def nested(depth: int) -> dict[str, Any]:
    config = leaf()
    for _ in range(depth):
        config = group("fallback", config)
    return config


def test_targets_nest_three_levels_deep_and_no_more():
    assert load_config(nested(3)).targets[0].targets[0].targets[0].provider == "openai"
    error = refused(nested(4))
    assert error.param == "x-portkey-config.targets[0].targets[0].targets[0].targets"
    assert error.message == "Targets may nest at most 3 levels deep."


def test_at_most_eight_targets_per_level():
    assert len(load_config(group("fallback", *[leaf()] * 8)).targets) == 8
    error = refused(group("fallback", *[leaf()] * 9))
    assert error.param == "x-portkey-config.targets"
    assert "Length must be between 1 and 8." in error.message


def test_at_most_sixteen_leaves_in_total():
    two_levels = group(
        "fallback", group("fallback", *[leaf()] * 8), group("fallback", *[leaf()] * 8)
    )
    assert len(load_config(two_levels).targets) == 2
    three = group("fallback", *two_levels["targets"], leaf())
    error = refused(three)
    assert (error.param, error.message) == (
        "x-portkey-config",
        "A config may hold at most 16 targets in total.",
    )


def test_at_most_sixteen_conditions():
    config = group("conditional", leaf(name="a"), conditions=[_cond()] * 16)
    assert len(load_config(config).strategy.conditions) == 16
    error = refused(group("conditional", leaf(name="a"), conditions=[_cond()] * 17))
    assert error.param == "x-portkey-config.strategy.conditions"


def test_regex_patterns_are_compiled_at_load_time():
    config = group(
        "conditional",
        leaf(name="a"),
        conditions=[_cond(**{"params.model": {"$regex": "^dall-e-[23]$"}})],
    )
    query = load_config(config).strategy.conditions[0].query
    assert query["params.model"]["$regex"] == re.compile("^dall-e-[23]$")


@pytest.mark.parametrize(
    ("regex", "text"),
    [
        ("x" * 257, "'$regex' must be at most 256 characters."),
        ("[a-z", "'$regex' is not a valid regular expression (unterminated character set)."),
        ("(a+)+$", "'$regex' may not nest quantifiers."),
        (".*a.*b", "'$regex' is too costly to match"),
    ],
)
def test_a_bad_regex_is_a_400_naming_its_path(regex, text):
    query = {"$and": [{"metadata.a": "1"}, {"params.size": {"$regex": regex}}]}
    error = refused(group("conditional", leaf(name="a"), conditions=[_cond(**query)]))
    param = "x-portkey-config.strategy.conditions[0].query.$and[1].params.size.$regex"
    assert (error.code, error.param) == ("invalid_config", param)
    assert error.message.startswith(f"Invalid value for '{param}': {text}")


def test_at_most_sixteen_regex_patterns_per_config():
    regex = {"params.model": {"$regex": "^gpt"}}
    config = group("conditional", leaf(name="a"), conditions=[_cond(**regex)] * 16)
    assert load_config(config)
    error = refused(
        group(
            "conditional",
            leaf(name="a"),
            conditions=[_cond(**{"$or": [regex] * 17})],
        )
    )
    assert error.message == "A config may use '$regex' at most 16 times."
