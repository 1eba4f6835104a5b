"""plan.build: Portkey's inheritance parent -> child, and the JSON path of each target."""

from __future__ import annotations

from dataclasses import replace

from gateway.routing import plan
from gateway.routing.nodes import (
    CacheSettings,
    ConfigNode,
    Group,
    Leaf,
    RetrySettings,
    Strategy,
)
from gateway.schemas.config import load_config

K1, K2, K3 = "sk-test-one", "sk-test-two", "sk-test-three"

TREE = {
    "override_params": {"model": "dall-e-3", "quality": "hd"},
    "retry": {"attempts": 2},
    "cache": {"mode": "simple", "max_age": 60},
    "custom_host": "https://proxy.example/v1",
    "forward_headers": ["x-team"],
    "request_timeout": 60000,
    "strategy": {"mode": "fallback"},
    "targets": [
        {
            "provider": "openai",
            "api_key": K1,
            "override_params": {"quality": "standard", "size": "1024x1024"},
        },
        {
            "strategy": {"mode": "loadbalance"},
            "name": "pool",
            "weight": 2,
            "override_params": {"style": "vivid"},
            "retry": {"attempts": 0},
            "cache": {"mode": "semantic"},
            "custom_host": "https://other.example",
            "forward_headers": [],
            "request_timeout": 1000,
            "targets": [
                {"provider": "stability-ai", "api_key": K2, "weight": 3, "name": "s"},
                {
                    "provider": "openai",
                    "api_key": K3,
                    "override_params": {"model": "dall-e-2"},
                    "retry": {"attempts": 1, "on_status_codes": [503]},
                    "aws_region": "eu-west-1",
                },
            ],
        },
    ],
}


def test_children_inherit_as_portkey_does():
    built = plan.build(load_config(TREE))
    assert list(plan.leaves(built)) == [
        Leaf(
            path="config.targets[0]",
            provider="openai",
            api_key=K1,
            custom_host="https://proxy.example/v1",
            override_params={"model": "dall-e-3", "quality": "standard", "size": "1024x1024"},
            retry=RetrySettings(attempts=2),
            cache=CacheSettings("simple", 60),
            request_timeout=60000,
            forward_headers=("x-team",),
        ),
        Leaf(
            path="config.targets[1].targets[0]",
            provider="stability-ai",
            api_key=K2,
            custom_host="https://other.example",
            override_params={"model": "dall-e-3", "quality": "hd", "style": "vivid"},
            retry=RetrySettings(attempts=0),
            cache=CacheSettings("semantic", None),
            request_timeout=1000,
            forward_headers=(),
            name="s",
            weight=3.0,
        ),
        Leaf(
            path="config.targets[1].targets[1]",
            provider="openai",
            api_key=K3,
            custom_host="https://other.example",
            override_params={"model": "dall-e-2", "quality": "hd", "style": "vivid"},
            retry=RetrySettings(attempts=1, on_status_codes=(503,)),
            cache=CacheSettings("semantic", None),
            request_timeout=1000,
            forward_headers=(),
            provider_options={"aws_region": "eu-west-1"},
        ),
    ]


def test_groups_keep_strategy_name_weight_and_path():
    built = plan.build(load_config(TREE))
    assert isinstance(built, Group)
    assert (built.path, built.strategy, built.name, built.weight) == (
        "config",
        Strategy(mode="fallback"),
        None,
        1.0,
    )
    pool = built.children[1]
    assert isinstance(pool, Group)
    assert (pool.path, pool.strategy.mode, pool.name, pool.weight) == (
        "config.targets[1]",
        "loadbalance",
        "pool",
        2.0,
    )


def test_a_single_target_config_is_a_leaf_at_config():
    built = plan.build(load_config({"provider": "openai", "api_key": K1, "retry": {"attempts": 1}}))
    assert built == Leaf(path="config", provider="openai", api_key=K1, retry=RetrySettings(1))
    assert K1 not in repr(built)


def test_credentials_and_provider_options_are_never_inherited():
    # The schema refuses credentials on a group; plan.build still does not pass them down.
    node = ConfigNode(
        strategy=Strategy(mode="single"),
        targets=(ConfigNode(virtual_key="vk-team"),),
        provider="openai",
        api_key=K1,
        provider_options={"openai_organization": "org-1"},
    )
    (only,) = plan.leaves(plan.build(node))
    assert (only.provider, only.api_key, only.virtual_key, only.provider_options) == (
        None,
        None,
        "vk-team",
        {},
    )


def test_the_parent_override_params_are_not_changed_by_a_child():
    node = load_config(TREE)
    plan.build(node)
    assert node.override_params == {"model": "dall-e-3", "quality": "hd"}


def test_map_leaves_replaces_each_leaf_and_keeps_the_tree():
    built = plan.build(load_config(TREE))
    resolved = plan.map_leaves(built, lambda leaf: replace(leaf, api_key="resolved"))
    assert [leaf.api_key for leaf in plan.leaves(resolved)] == ["resolved"] * 3
    assert [leaf.path for leaf in plan.leaves(resolved)] == [
        leaf.path for leaf in plan.leaves(built)
    ]
    assert isinstance(resolved, Group)
    assert resolved.children[1].strategy.mode == "loadbalance"
