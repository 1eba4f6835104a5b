from __future__ import annotations

import pytest

from gateway.credentials import Credentials, VirtualKey
from gateway.errors import ConfigNotFound, SecretUnreadable, VirtualKeyDisabled, VirtualKeyNotFound
from tests.factories import PEPPER, PROVIDER_KEY, virtual_key
from tests.unit.credentials.raw import execute


@pytest.fixture
def creds(store):
    store.add_virtual_key(
        virtual_key(
            name="prod",
            base_url="https://res.openai.azure.com",
            provider="azure-openai",
            fields={"resource_name": "res", "deployment_id": "d3"},
            teams=("team-a",),
        ),
        PROVIDER_KEY,
    )
    store.add_virtual_key(virtual_key(id="vk_open", name="open"), "sk-open-000000000000")
    return Credentials(store, PEPPER, clock=lambda: 0.0)


def test_an_allowed_team_gets_provider_secret_endpoint_and_fields(creds):
    assert creds.resolve_virtual_key("prod", "team-a") == VirtualKey(
        name="prod",
        provider="azure-openai",
        secret=PROVIDER_KEY,
        base_url="https://res.openai.azure.com",
        fields={"resource_name": "res", "deployment_id": "d3"},
    )
    assert creds.resolve_virtual_key("open", "team-b").secret == "sk-open-000000000000"
    assert creds.resolve_virtual_key("open", None).provider == "openai"


def _error(creds, name, team):
    with pytest.raises(VirtualKeyNotFound) as info:
        creds.resolve_virtual_key(name, team, param="x-portkey-virtual-key")
    return info.value


def test_unknown_and_not_allowed_look_the_same(creds):
    hidden = _error(creds, "prod", "team-b")
    unknown = _error(creds, "prod2", "team-a")
    assert hidden.to_body() == {
        "error": {
            "message": "Virtual key 'prod' was not found.",
            "type": "invalid_request_error",
            "param": "x-portkey-virtual-key",
            "code": "virtual_key_not_found",
        }
    }
    assert unknown.to_body()["error"]["message"] == "Virtual key 'prod2' was not found."
    assert (hidden.status, unknown.status) == (404, 404)
    assert _error(creds, "prod", None).code == "virtual_key_not_found"


def test_a_strange_name_is_not_echoed(creds):
    assert _error(creds, "x\r\nSet-Cookie: a", "team-a").message == (
        "The virtual key was not found."
    )


def test_disabled_is_distinct_but_only_for_allowed_teams(creds):
    creds.store.set_disabled("prod", True, 1.0)
    with pytest.raises(VirtualKeyDisabled) as info:
        creds.resolve_virtual_key("prod", "team-a")
    assert (info.value.status, info.value.code) == (403, "virtual_key_disabled")
    assert _error(creds, "prod", "team-b").code == "virtual_key_not_found"
    creds.store.set_disabled("prod", False, 2.0)
    assert creds.resolve_virtual_key("prod", "team-a").secret == PROVIDER_KEY


def test_saved_config_latest_version(creds):
    creds.store.put_config("main", '{"strategy":{"mode":"fallback"}}', 1.0)
    creds.store.put_config("main", '{"strategy":{"mode":"single"}}', 2.0)
    assert creds.get_config("main") == (2, {"strategy": {"mode": "single"}})
    with pytest.raises(ConfigNotFound) as info:
        creds.get_config("nope", param="x-portkey-config")
    assert (info.value.status, info.value.message, info.value.param) == (
        404,
        "Config 'nope' was not found.",
        "x-portkey-config",
    )


def test_start_up_self_check_names_the_key_that_does_not_decrypt(sqlite_store):
    creds = Credentials(sqlite_store, PEPPER)
    sqlite_store.add_virtual_key(virtual_key(), PROVIDER_KEY)
    assert creds.check_secrets() == 1
    execute(sqlite_store, "UPDATE virtual_keys SET provider = 'bedrock'")
    with pytest.raises(SecretUnreadable) as info:
        creds.check_secrets()
    assert info.value.message == (
        "Virtual key 'prod-openai' does not decrypt with the configured master key."
    )
