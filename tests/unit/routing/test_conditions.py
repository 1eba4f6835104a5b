"""Conditional routing: every operator, type mismatches, query checks, and choose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gateway.routing.conditions import (
    NoMatchingTarget,
    QueryError,
    choose,
    compile_query,
    evaluate,
)
from gateway.routing.nodes import Condition, Strategy

CONTEXT = {
    "metadata": {"tier": "gold", "region": "eu", "budget": "5", "note": "abc"},
    "params": {
        "model": "dall-e-3",
        "n": 2,
        "size": "1024x1024",
        "stream": False,
        "extra": {"style": "vivid"},
        "list": [1, 2],
    },
}


def matches(query: dict[str, Any], context: dict[str, Any] = CONTEXT) -> bool:
    return evaluate(compile_query(query), context)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"metadata.tier": "gold"}, True),
        ({"metadata.tier": "silver"}, False),
        ({"metadata.missing": "gold"}, False),
        ({"metadata.missing": None}, False),
        ({"params.n": 2}, True),
        ({"params.n": 2.0}, True),
        ({"params.n": "2"}, False),
        ({"params.stream": False}, True),
        ({"params.stream": 0}, False),
        ({"params.extra.style": "vivid"}, True),
        ({"params.extra.style.deeper": "vivid"}, False),
        ({"metadata.tier": {"$eq": "gold"}}, True),
        ({"metadata.tier": {"$eq": "GOLD"}}, False),
        ({"metadata.tier": {"$ne": "silver"}}, True),
        ({"metadata.tier": {"$ne": "gold"}}, False),
        ({"metadata.missing": {"$ne": "gold"}}, True),
        ({"params.n": {"$gt": 1}}, True),
        ({"params.n": {"$gt": 2}}, False),
        ({"params.n": {"$gte": 2}}, True),
        ({"params.n": {"$lt": 2}}, False),
        ({"params.n": {"$lte": 2}}, True),
        ({"params.n": {"$gte": 1, "$lte": 3}}, True),
        ({"params.n": {"$gte": 1, "$lte": 1}}, False),
        ({"metadata.budget": {"$gt": 4.5}}, True),
        ({"metadata.budget": {"$lt": 4.5}}, False),
        ({"metadata.note": {"$gt": 1}}, False),
        ({"params.size": {"$gt": 1}}, False),
        ({"params.list": {"$gt": 1}}, False),
        ({"params.stream": {"$lt": 1}}, False),
        ({"metadata.missing": {"$lt": 1}}, False),
        ({"metadata.region": {"$in": ["eu", "us"]}}, True),
        ({"metadata.region": {"$in": ["us"]}}, False),
        ({"metadata.missing": {"$in": ["eu", None]}}, False),
        ({"params.n": {"$in": [1, 2]}}, True),
        ({"params.stream": {"$in": [0]}}, False),
        ({"metadata.region": {"$nin": ["us", "ap"]}}, True),
        ({"metadata.region": {"$nin": ["eu"]}}, False),
        ({"metadata.missing": {"$nin": ["eu"]}}, True),
        ({"params.model": {"$regex": "^dall-e-[23]$"}}, True),
        ({"params.model": {"$regex": "^gpt-image"}}, False),
        ({"params.model": {"$regex": "(?i)DALL"}}, True),
        ({"params.n": {"$regex": "2"}}, False),
        ({"metadata.missing": {"$regex": ".*"}}, False),
        ({"metadata.tier": "gold", "metadata.region": "us"}, False),
        ({"metadata.tier": "gold", "metadata.region": "eu"}, True),
        ({"$or": [{"metadata.tier": "silver"}, {"params.n": 2}]}, True),
        ({"$or": [{"metadata.tier": "silver"}, {"params.n": 3}]}, False),
        ({"$and": [{"metadata.tier": "gold"}, {"params.n": {"$gt": 1}}]}, True),
        ({"$and": [{"metadata.tier": "gold"}, {"params.n": {"$gt": 2}}]}, False),
        # Every key is ANDed, $or included (Portkey returns on $or and ignores the rest).
        ({"$or": [{"metadata.tier": "gold"}], "metadata.region": "us"}, False),
        ({"$and": [{"$or": [{"params.n": 5}, {"params.n": 2}]}, {"metadata.region": "eu"}]}, True),
        ({}, True),
    ],
)
def test_operators(query, expected):
    assert matches(query) is expected


def test_a_huge_number_compares_without_overflow():
    assert matches({"params.n": {"$gt": 1}}, {"params": {"n": 10**400}}) is True
    assert matches({"params.n": {"$lt": 10**400}}, {"params": {"n": "1e308"}}) is True


def test_a_context_without_metadata_matches_nothing():
    assert matches({"metadata.tier": "gold"}, {"params": {}}) is False


def test_regex_searches_only_the_first_4096_characters():
    query = compile_query({"params.prompt": {"$regex": "lighthouse"}})
    early = {"params": {"prompt": "x" * 4000 + "lighthouse"}}
    late = {"params": {"prompt": "x" * 4090 + "lighthouse"}}
    assert evaluate(query, early) is True
    assert evaluate(query, late) is False


def test_an_uncompiled_query_still_evaluates_and_never_raises():
    assert evaluate({"params.model": {"$regex": "^dall"}}, CONTEXT) is True
    assert evaluate({"params.model": {"$regex": "["}}, CONTEXT) is False
    assert evaluate({"params.model": {"$regex": 5}}, CONTEXT) is False
    assert evaluate({"params.model": {"$unknown": 1}}, CONTEXT) is False


@pytest.mark.parametrize(
    ("query", "where", "message"),
    [
        ([], "", "a query must be an object"),
        ({"tier": "gold"}, ".tier", "a query key must be 'metadata.<key>' or 'params.<key>'"),
        ({"url.pathname": "/x"}, ".url.pathname", "a query key must be"),
        ({"metadata.": "x"}, ".metadata.", "a query key must be"),
        ({"params.a..b": "x"}, ".params.a..b", "a query key must be"),
        ({"metadata.tier": ["gold"]}, ".metadata.tier", "must be a plain value or an object"),
        ({"metadata.tier": {}}, ".metadata.tier", "must be a plain value or an object"),
        ({"metadata.tier": {"$like": "g"}}, ".metadata.tier.$like", "unknown operator '$like'"),
        ({"$xor": []}, ".$xor", "unknown operator '$xor'"),
        ({"$or": []}, ".$or", "'$or' must be a list of 1 to 64 queries"),
        ({"$and": {"metadata.a": 1}}, ".$and", "'$and' must be a list of 1 to 64 queries"),
        ({"$and": [5]}, ".$and[0]", "a query must be an object"),
        ({"params.n": {"$gt": "5"}}, ".params.n.$gt", "'$gt' must compare with a number"),
        ({"params.n": {"$lte": True}}, ".params.n.$lte", "'$lte' must compare with a number"),
        ({"params.n": {"$in": 5}}, ".params.n.$in", "'$in' must be a list of at most 64"),
        ({"params.n": {"$nin": [[1]]}}, ".params.n.$nin", "'$nin' must be a list of at most 64"),
        ({"params.n": {"$in": list(range(65))}}, ".params.n.$in", "'$in' must be a list"),
        ({"params.n": {"$eq": {"a": 1}}}, ".params.n.$eq", "'$eq' must compare with a plain"),
        ({"params.n": {"$regex": 5}}, ".params.n.$regex", "'$regex' must be a string"),
        ({"params.n": {"$regex": "("}}, ".params.n.$regex", "'$regex' is not a valid regular"),
    ],
)
def test_a_bad_query_is_refused_with_its_path(query, where, message):
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert info.value.where == where
    assert info.value.message.startswith(message)


@dataclass(frozen=True)
class Target:
    name: str | None


TARGETS = (Target("cheap"), Target(None), Target("premium"))


def strategy(*conditions: tuple[dict[str, Any], str], default: str | None = None) -> Strategy:
    compiled = tuple(Condition(compile_query(q), then) for q, then in conditions)
    return Strategy(mode="conditional", conditions=compiled, default=default)


def test_choose_takes_the_first_matching_condition():
    chosen = strategy(
        ({"metadata.tier": "silver"}, "cheap"),
        ({"metadata.tier": "gold"}, "premium"),
        ({"metadata.region": "eu"}, "cheap"),
    )
    assert choose(chosen, TARGETS, CONTEXT) is TARGETS[2]


def test_choose_falls_to_the_default():
    chosen = strategy(({"metadata.tier": "silver"}, "premium"), default="cheap")
    assert choose(chosen, TARGETS, CONTEXT) is TARGETS[0]


def test_no_match_and_no_default_is_a_400():
    chosen = strategy(({"metadata.tier": "silver"}, "premium"))
    with pytest.raises(NoMatchingTarget) as info:
        choose(chosen, TARGETS, CONTEXT, "config.targets[1]")
    error = info.value
    assert (error.status, error.code, error.param) == (
        400,
        "no_matching_target",
        "config.targets[1]",
    )
    assert error.message == (
        "No condition matched at 'config.targets[1]' and it has no 'default' target."
    )


def test_a_then_naming_no_target_is_a_400():
    with pytest.raises(NoMatchingTarget) as info:
        choose(strategy(({}, "ghost")), TARGETS, CONTEXT)
    assert info.value.message == "No target named 'ghost' at 'config'."
