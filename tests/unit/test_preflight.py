"""The pre-flight: every target of a plan is checked before the first upstream call."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.config_source import build_plan
from gateway.errors import AuthenticationError, CustomHostRejected, InvalidRequest
from gateway.models import RequestOptions
from gateway.outbound import preflight
from gateway.outbound.signing import GOOGLE_TOKEN_URI
from gateway.providers.vertex_ai.auth import OPTION
from gateway.routing import plan
from gateway.routing.nodes import Leaf
from tests.unit.test_signing import account_json

KEY = "sk-preflight-0123456789"
ALLOWED = ("http://127.0.0.1:9", "http://img.partner.example:8080", "http://10.1.2.3:8080")


class Resolver:
    """Records every lookup; answers one public address."""

    def __init__(self, address: str = "93.184.216.34") -> None:
        self.address = address
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return [self.address]


def options(config=None, **extra):
    return RequestOptions(
        provider="openai",
        trace_id="t",
        api_key=KEY,
        config=None if config is None else json.dumps(config),
        **extra,
    )


def leaves_of(opts, virtual_keys=None):
    root, _, _ = build_plan(opts, lambda name: (1, {}), virtual_keys)
    return list(plan.leaves(root))


def check(opts, resolve=None, virtual_keys=None):
    resolve = resolve or Resolver()
    return preflight.check(leaves_of(opts, virtual_keys), opts, ALLOWED, resolve)


def target(**extra):
    return {"provider": "openai", "api_key": KEY, **extra}


def fallback(*targets):
    return {"strategy": {"mode": "fallback"}, "targets": list(targets)}


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:9999/v1",  # an allowed host on another port
        "http://[::1]:9/v1",  # loopback, not on the list
        "http://localhost:9/v1",
    ],
)
def test_a_refused_nested_custom_host_is_named_by_its_path(host):
    config = fallback(target(), fallback(target(custom_host=host)))
    with pytest.raises(CustomHostRejected) as info:
        check(options(config))
    assert info.value.param == "x-portkey-config.targets[1].targets[0].custom_host"
    assert info.value.status == 400


def test_every_target_of_a_conditional_group_is_checked_even_one_never_chosen():
    config = {
        "strategy": {
            "mode": "conditional",
            "conditions": [{"query": {"metadata.tier": {"$eq": "pro"}}, "then": "main"}],
            "default": "main",
        },
        "targets": [
            target(name="main"),
            target(name="spare", custom_host="http://127.0.0.1:9999/v1"),
        ],
    }
    with pytest.raises(CustomHostRejected) as info:
        check(options(config))
    assert info.value.param == "x-portkey-config.targets[1].custom_host"


def test_a_header_custom_host_keeps_the_header_as_param():
    with pytest.raises(CustomHostRejected) as info:
        check(options(custom_host="http://127.0.0.1:9999/v1"))
    assert info.value.param == "x-portkey-custom-host"


def test_an_inline_single_target_config_names_its_own_custom_host():
    with pytest.raises(CustomHostRejected) as info:
        check(options(target(custom_host="http://127.0.0.1:9999/v1")))
    assert info.value.param == "x-portkey-config.custom_host"


def test_targets_sharing_a_host_are_resolved_once_and_pinned():
    resolve = Resolver()
    host = "http://img.partner.example:8080/v1"
    config = fallback(target(custom_host=host), target(custom_host=host), target())
    endpoints = check(options(config), resolve).endpoints
    pinned = ("http://img.partner.example:8080/v1", "93.184.216.34")
    assert endpoints == {"config.targets[0]": pinned, "config.targets[1]": pinned}
    assert resolve.asked == [("img.partner.example", 8080)]


def test_a_host_name_resolving_to_a_private_address_is_refused_before_any_call():
    config = fallback(target(), target(custom_host="http://img.partner.example:8080/v1"))
    with pytest.raises(CustomHostRejected, match="loopback or private") as info:
        check(options(config), Resolver("10.0.0.8"))
    assert info.value.param == "x-portkey-config.targets[1].custom_host"


def test_an_unknown_provider_in_a_nested_target_is_named_by_its_path():
    config = fallback(target(), fallback(target(), target(provider="open-ai")))
    with pytest.raises(InvalidRequest) as info:
        check(options(config))
    assert (info.value.code, info.value.param) == (
        "unknown_provider",
        "x-portkey-config.targets[1].targets[1].provider",
    )


def test_a_missing_key_in_a_later_target_is_refused_with_its_path():
    config = fallback(target(), {"provider": "stability-ai"})
    with pytest.raises(AuthenticationError) as info:
        check(options(config))
    assert info.value.param == "x-portkey-config.targets[1].api_key"


def test_no_provider_at_all_is_a_400_asking_for_the_header_or_a_config():
    opts = RequestOptions(provider=None, trace_id="t", api_key=KEY)
    with pytest.raises(InvalidRequest) as info:
        check(opts)
    error = info.value
    assert (error.status, error.code) == (400, "missing_provider")
    assert error.param == "x-portkey-provider"
    assert error.message == (
        "No provider: send the 'x-portkey-provider' header, or an 'x-portkey-config' that "
        "names a provider or a virtual key."
    )


def stored(base_url):
    return SimpleNamespace(provider="openai", secret="s" * 32, base_url=base_url, fields={})


def test_an_http_virtual_key_on_the_allowlist_is_checked_and_pinned_like_a_custom_host():
    config = fallback(target(), {"virtual_key": "intranet"})
    resolve = Resolver()
    keys = lambda name, param: stored("http://10.1.2.3:8080/v1")  # noqa: E731
    endpoints = check(options(config), resolve, keys).endpoints
    assert endpoints == {"config.targets[1]": ("http://10.1.2.3:8080/v1", "10.1.2.3")}
    assert resolve.asked == []  # an address literal: nothing to resolve


def test_an_http_virtual_key_whose_entry_was_dropped_is_refused_at_use():
    config = fallback(target(), {"virtual_key": "intranet"})
    keys = lambda name, param: stored("http://10.9.9.9:8080/v1")  # noqa: E731
    with pytest.raises(CustomHostRejected) as info:
        check(options(config), virtual_keys=keys)
    error = info.value
    assert (error.code, error.param) == (
        "virtual_key_base_url_not_allowed",
        "x-portkey-config.targets[1].virtual_key",
    )
    assert error.message.startswith("Base URL of virtual key 'intranet' refused: the host is not")


def test_an_https_virtual_key_is_used_as_stored_without_a_lookup():
    resolve = Resolver()
    keys = lambda name, param: stored("https://proxy.internal/v1")  # noqa: E731
    opts = RequestOptions(provider="openai", trace_id="t", virtual_key="prod")
    assert preflight.check(leaves_of(opts, keys), opts, ALLOWED, resolve).endpoints == {}
    assert resolve.asked == []


def test_endpoint_reuses_the_preflight_answer_and_checks_a_leaf_it_never_saw():
    leaf = Leaf(path="config", provider="openai", custom_host="http://img.partner.example:8080")
    resolve, opts = Resolver(), options()
    known = {"config": ("http://img.partner.example:8080", "198.51.100.7")}
    assert preflight.endpoint(leaf, opts, ALLOWED, resolve, known) == known["config"]
    assert resolve.asked == []
    checked = preflight.endpoint(leaf, opts, ALLOWED, resolve, {})
    assert checked == ("http://img.partner.example:8080", "93.184.216.34")
    assert resolve.asked == [("img.partner.example", 8080)]


# --- Vertex service accounts: checked here, not first when the call is signed ----------


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def vertex(**extra):
    return {"provider": "vertex-ai", "vertex_project_id": "p", **extra}


def unusable(rsa_key, kind):
    """A service-account key (a config's JSON object) the signer could not use."""
    if kind == "not a service account":
        return {"type": "authorized_user"}
    if kind == "missing fields":
        return {"type": "service_account", "token_uri": GOOGLE_TOKEN_URI}
    if kind == "non-RSA key":
        return json.loads(account_json(ec.generate_private_key(ec.SECP256R1())))
    return json.loads(account_json(rsa_key, token_uri="https://evil.example/token"))


KINDS = ["not a service account", "missing fields", "non-RSA key", "token_uri not allowed"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unusable_service_account_in_a_later_target_is_refused_at_its_path(rsa_key, kind):
    config = fallback(target(), vertex(vertex_service_account_json=unusable(rsa_key, kind)))
    with pytest.raises(InvalidRequest) as info:
        check(options(config))
    assert (info.value.status, info.value.code, info.value.param) == (
        400,
        "invalid_value",
        "x-portkey-config.targets[1].vertex_service_account_json",
    )
    assert info.value.message.startswith("vertex_service_account_json is not usable: ")


@pytest.mark.parametrize(
    ("opts", "param"),
    [
        (  # header mode keeps the header's name
            {"provider": "vertex-ai", "provider_options": {OPTION: "{not json"}},
            "x-portkey-vertex-service-account-json",
        ),
        ({"provider": "vertex-ai", "api_key": "{not json"}, "authorization"),
        (  # an inline one-target config names its own key
            {"provider": "openai", "config": json.dumps(vertex(**{OPTION: {}}))},
            "x-portkey-config.vertex_service_account_json",
        ),
        (
            {"provider": "openai", "config": json.dumps(fallback(target(), vertex(api_key="{}")))},
            "x-portkey-config.targets[1].api_key",
        ),
    ],
)
def test_an_unusable_service_account_names_where_it_came_from(opts, param):
    with pytest.raises(InvalidRequest) as info:
        check(RequestOptions(trace_id="t", **opts))
    assert info.value.param == param


def test_a_virtual_key_whose_secret_is_an_unusable_account_names_the_virtual_key():
    config = fallback(target(), {"virtual_key": "imagen"})
    secret = SimpleNamespace(provider="vertex-ai", secret='{"type": "x"}', base_url=None, fields={})
    with pytest.raises(InvalidRequest) as info:
        check(options(config), virtual_keys=lambda name, param: secret)
    assert info.value.param == "x-portkey-config.targets[1].virtual_key"


def test_a_shared_account_is_checked_once_and_its_token_uri_pinned(rsa_key):
    resolve = Resolver()
    info = json.loads(account_json(rsa_key, token_uri="http://img.partner.example:8080/token"))
    config = fallback(vertex(**{OPTION: info}), target(), vertex(**{OPTION: info}))
    checked = check(options(config), resolve)
    [account] = checked.accounts.values()
    assert account.pinned_ip == "93.184.216.34"
    assert resolve.asked == [("img.partner.example", 8080)]
    assert checked.endpoints == {}


def test_a_google_account_and_a_plain_token_need_no_lookup(rsa_key):
    resolve = Resolver()
    info = json.loads(account_json(rsa_key))
    config = fallback(vertex(**{OPTION: info}), vertex(api_key="ya29.a-plain-oauth-token"))
    checked = check(options(config), resolve)
    [account] = checked.accounts.values()
    assert account.pinned_ip is None
    assert resolve.asked == []
