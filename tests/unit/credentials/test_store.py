"""One contract, three stores: the database store on SQLite and on PostgreSQL, and the
in-memory fake, behave the same."""

from __future__ import annotations

import pytest

from gateway.store.records import ApiKeyRecord
from tests.factories import PROVIDER_KEY, virtual_key


def test_virtual_key_crud(store):
    info = virtual_key(fields={"openai_organization": "org-1"}, teams=("team-a",))
    store.add_virtual_key(info, PROVIDER_KEY)
    with pytest.raises(KeyError):
        store.add_virtual_key(virtual_key(id="vk_other"), "sk-x")
    assert store.virtual_key("prod-openai") == info
    assert store.virtual_key("nope") is None
    assert store.reveal_secret(info.id) == PROVIDER_KEY
    assert store.reveal_secret("vk_missing") is None

    assert store.replace_secret("prod-openai", "sk-new-secret-0000000000zzzz", "zzzz", 1.7e9 + 5)
    assert not store.replace_secret("nope", "sk", "", 0.0)
    assert store.reveal_secret(info.id) == "sk-new-secret-0000000000zzzz"
    updated = store.virtual_key("prod-openai")
    assert (updated.hint, updated.updated_at, updated.created_at) == ("zzzz", 1.7e9 + 5, 1.7e9)

    assert store.set_disabled("prod-openai", True, 1.7e9 + 6)
    assert store.virtual_key("prod-openai").disabled_at == 1.7e9 + 6
    assert store.set_disabled("prod-openai", False, 1.7e9 + 7)
    assert store.virtual_key("prod-openai").disabled_at is None
    assert not store.set_disabled("nope", True, 0.0)

    assert [k.name for k in store.list_virtual_keys()] == ["prod-openai"]
    assert store.delete_virtual_key("prod-openai")
    assert not store.delete_virtual_key("prod-openai")
    assert store.list_virtual_keys() == []
    assert store.reveal_secret(info.id) is None


def test_team_restriction():
    assert virtual_key(teams=()).allows("anyone")
    assert virtual_key(teams=()).allows(None)
    assert virtual_key(teams=("a",)).allows("a")
    assert not virtual_key(teams=("a",)).allows("b")
    assert not virtual_key(teams=("a",)).allows(None)


def test_config_versions(store):
    assert store.put_config("main", '{"a":1}', 10.0) == (1, True)
    assert store.put_config("main", '{"a":1}', 11.0) == (1, False)
    assert store.put_config("main", '{"a":2}', 12.0) == (2, True)
    assert store.config("main") == (2, '{"a":2}')
    assert store.config("main", 1) == (1, '{"a":1}')
    assert store.config("main", 3) is None
    assert store.config("other") is None
    store.put_config("alt", "{}", 13.0)
    assert [(c.name, c.version, c.updated_at) for c in store.list_configs()] == [
        ("alt", 1, 13.0),
        ("main", 2, 12.0),
    ]


def test_deleted_config_keeps_its_numbers(store):
    store.put_config("main", '{"a":1}', 10.0)
    assert store.delete_config("main", 11.0)
    assert not store.delete_config("main", 12.0)
    assert store.config("main") is None
    assert store.config("main", 1) is None
    assert store.list_configs() == []
    # Same body again after a delete is a new version, never a reused number.
    assert store.put_config("main", '{"a":1}', 13.0) == (2, True)
    assert store.config("main", 1) is None


def test_threads_authenticate_at_once_on_the_pooled_connections(db_store):
    import threading

    from gateway.credentials import api_keys as keys
    from tests.factories import PEPPER

    key, _ = keys.create(db_store, PEPPER, "team-a", 0.0)
    seen = []
    together = threading.Barrier(8)

    def work():
        together.wait(timeout=10)
        seen.append(keys.authenticate(db_store, PEPPER, key, 100.0 + len(seen)))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [team.name for team in seen] == ["team-a"] * 8
    # The racing touches wrote last_used_at once or a few times, never failed.
    assert db_store.list_api_keys()[0].last_used_at >= 100.0


def _key(key_id: str, team: str) -> ApiKeyRecord:
    return ApiKeyRecord(key_id, team, "d" + key_id, "hint", 1.0, None, None)


def _limits(store, key_id: str) -> tuple:
    [record] = [r for r in store.list_api_keys() if r.id == key_id]
    return (
        record.limit_rpm,
        record.limit_ipm,
        record.limit_daily_micro_usd,
        record.limit_monthly_micro_usd,
    )


def test_api_key_limits_by_id_then_by_team_on_active_keys_only(store):
    for key_id, team in (("ak_1", "a"), ("ak_2", "a"), ("ak_3", "a"), ("ak_4", "b")):
        store.add_api_key(_key(key_id, team))
    store.revoke_api_keys("ak_3", 2.0)
    assert store.set_api_key_limits("a", {"limit_rpm": 5, "limit_daily_micro_usd": 10}) == 2
    assert store.set_api_key_limits("ak_2", {"limit_rpm": None, "limit_ipm": 7}) == 1
    assert _limits(store, "ak_1") == (5, None, 10, None)
    assert _limits(store, "ak_2") == (None, 7, 10, None)
    assert _limits(store, "ak_3") == (None, None, None, None)  # revoked: untouched
    assert _limits(store, "ak_4") == (None, None, None, None)
    assert store.set_api_key_limits("ak_3", {"limit_rpm": 1}) == 0
    assert store.set_api_key_limits("nobody", {"limit_rpm": 1}) == 0
    # Only the limit columns can be set.
    assert store.set_api_key_limits("a", {"name": "x"}) == 0
    assert {r.name for r in store.list_api_keys()} == {"a", "b"}
