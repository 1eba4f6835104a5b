"""DatabaseKeyStore on SQLite and on PostgreSQL: the same values in, the same values out.

The contract shared with the in-memory fake is in tests/unit/credentials (run on both
engines too); this file pins concrete rows, orders and types on each engine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.credentials.crypto import SecretBox, secret_context
from gateway.errors import SecretUnreadable
from gateway.store.database import Database
from gateway.store.key_store import DatabaseKeyStore
from gateway.store.records import ApiKeyRecord, ConfigInfo
from gateway.store.tables import virtual_keys
from tests.factories import MASTER_KEY_1, MASTER_KEY_2, PROVIDER_KEY, virtual_key

T0 = 1_767_000_000.25  # a wall-clock time with a fraction: DOUBLE PRECISION on PostgreSQL
BIG = 9_223_372_036_854_775_807  # the largest micro-dollar amount (2**63 - 1)


@pytest.fixture
def database(any_db: str, tmp_path) -> Iterator[Database]:
    db = Database(any_db, data_dir=str(tmp_path / "data"), pool_size=2)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def store(database: Database) -> DatabaseKeyStore:
    return DatabaseKeyStore(database, SecretBox.from_keys([MASTER_KEY_1]))


def record(key_id: str, team: str, created_at: float = T0) -> ApiKeyRecord:
    return ApiKeyRecord(key_id, team, f"{key_id:0>64}", key_id[-4:], created_at, None, None)


def test_api_keys_round_trip_with_their_types(store):
    store.add_api_key(record("ak_000000000001", "design"))
    found = store.find_api_key(f"{'ak_000000000001':0>64}")
    assert found == ApiKeyRecord(
        id="ak_000000000001",
        name="design",
        digest=f"{'ak_000000000001':0>64}",
        hint="0001",
        created_at=T0,
        last_used_at=None,
        revoked_at=None,
    )
    assert type(found.created_at) is float
    assert store.find_api_key("f" * 64) is None
    with pytest.raises(IntegrityError):  # the id and the digest are unique
        store.add_api_key(record("ak_000000000001", "other"))


def test_lists_sort_by_code_point_on_every_engine(store):
    # PostgreSQL's collation would put "alpha" before "Zeta" and ignore "-" against "_".
    for i, team in enumerate(["beta_1", "alpha", "Zeta", "beta-1", "alpha"]):
        store.add_api_key(record(f"ak_00000000000{i}", team, T0 + 10 - i))
    assert [(r.name, r.created_at) for r in store.list_api_keys()] == [
        ("Zeta", T0 + 8),
        ("alpha", T0 + 6),
        ("alpha", T0 + 9),
        ("beta-1", T0 + 7),
        ("beta_1", T0 + 10),
    ]
    for name in ("b_key", "B-key", "a-key"):
        store.add_virtual_key(virtual_key(id=f"vk_{name}", name=name), PROVIDER_KEY)
    assert [k.name for k in store.list_virtual_keys()] == ["B-key", "a-key", "b_key"]
    for name in ("z", "Y", "y-1", "y_1"):
        store.put_config(name, "{}", T0)
    assert [c.name for c in store.list_configs()] == ["Y", "y-1", "y_1", "z"]


def test_revoke_touch_and_active_keys(store):
    assert not store.has_active_api_key()
    store.add_api_key(record("ak_000000000001", "design"))
    store.add_api_key(record("ak_000000000002", "design"))
    store.add_api_key(record("ak_000000000003", "ads"))
    assert store.has_active_api_key()
    store.touch_api_key("ak_000000000001", T0 + 60, 60.0)
    store.touch_api_key("ak_000000000001", T0 + 90, 60.0)  # within the interval: kept
    assert store.revoke_api_keys("ak_000000000003", T0 + 100) == 1
    assert store.revoke_api_keys("design", T0 + 200) == 2
    assert store.revoke_api_keys("design", T0 + 300) == 0
    assert not store.has_active_api_key()
    assert [(r.id, r.last_used_at, r.revoked_at) for r in store.list_api_keys()] == [
        ("ak_000000000003", None, T0 + 100),
        ("ak_000000000001", T0 + 60, T0 + 200),
        ("ak_000000000002", None, T0 + 200),
    ]


def test_limits_by_id_then_by_team_up_to_the_largest_amount(store):
    store.add_api_key(record("ak_000000000001", "design"))
    store.add_api_key(record("ak_000000000002", "design"))
    limits = {"limit_rpm": 60, "limit_daily_micro_usd": BIG, "limit_monthly_micro_usd": 1}
    assert store.set_api_key_limits("design", limits) == 2
    assert store.set_api_key_limits("ak_000000000002", {"limit_ipm": 120, "limit_rpm": None}) == 1
    assert store.set_api_key_limits("nobody", {"limit_rpm": 1}) == 0
    assert store.set_api_key_limits("design", {"digest": "x"}) == 0
    found = {
        r.id: (r.limit_rpm, r.limit_ipm, r.limit_daily_micro_usd, r.limit_monthly_micro_usd)
        for r in store.list_api_keys()
    }
    assert found == {
        "ak_000000000001": (60, None, BIG, 1),
        "ak_000000000002": (None, 120, BIG, 1),
    }


def _row(database: Database, name: str):
    with database.read() as conn:
        return conn.execute(select(virtual_keys).where(virtual_keys.c.name == name)).one()


def test_virtual_key_add_reveal_rotate_disable_delete(store, database):
    info = virtual_key(
        id="vk_0000000000000042",
        name="azure-prod",
        provider="azure-openai",
        base_url="https://res.openai.azure.com",
        fields={"resource_name": "res", "deployment_id": "dall-e-3"},
        teams=("design", "ads"),
    )
    store.add_virtual_key(info, PROVIDER_KEY)
    with pytest.raises(KeyError):
        store.add_virtual_key(virtual_key(id="vk_other", name="azure-prod"), "sk-x")
    row = _row(database, "azure-prod")
    assert (row.fields, row.teams) == (
        '{"deployment_id": "dall-e-3", "resource_name": "res"}',
        '["design", "ads"]',
    )
    assert PROVIDER_KEY not in row.secret
    assert store.virtual_key("azure-prod") == info
    assert store.reveal_secret("vk_0000000000000042") == PROVIDER_KEY
    sealed_info, token = store.sealed_virtual_key("azure-prod")
    assert (sealed_info, token) == (info, row.secret)
    assert store.open_secret(sealed_info, token) == PROVIDER_KEY

    assert store.replace_secret("azure-prod", "sk-rotated-000000000000WXYZ", "WXYZ", T0 + 1)
    assert store.reveal_secret("vk_0000000000000042") == "sk-rotated-000000000000WXYZ"
    assert (store.virtual_key("azure-prod").hint, store.virtual_key("azure-prod").updated_at) == (
        "WXYZ",
        T0 + 1,
    )
    assert store.set_disabled("azure-prod", True, T0 + 2)
    assert store.virtual_key("azure-prod").disabled_at == T0 + 2
    assert store.set_disabled("azure-prod", False, T0 + 3)
    assert store.virtual_key("azure-prod").disabled_at is None
    assert not store.set_disabled("nope", True, T0)
    assert store.delete_virtual_key("azure-prod")
    assert not store.delete_virtual_key("azure-prod")
    assert store.sealed_virtual_key("azure-prod") is None
    assert store.reveal_secret("vk_0000000000000042") is None


def test_rewrap_moves_every_secret_to_the_new_key_or_none(store, database):
    for i in range(3):
        store.add_virtual_key(virtual_key(id=f"vk_{i}", name=f"k{i}"), f"sk-secret-{i}-0000000000")
    both = SecretBox.from_keys([MASTER_KEY_2, MASTER_KEY_1])
    only_new = SecretBox.from_keys([MASTER_KEY_2])
    assert store.rewrap_secrets(both, only_new) == 3
    for i in range(3):
        token = _row(database, f"k{i}").secret
        context = secret_context(f"vk_{i}", "openai", None, {})
        assert only_new.decrypt(context, token) == f"sk-secret-{i}-0000000000"
    # A row no configured key can read: the whole rewrap is rolled back.
    before = {i: _row(database, f"k{i}").secret for i in range(3)}
    foreign = SecretBox.from_keys([Fernet.generate_key().decode()]).encrypt("x", "sk-foreign")
    with database.write() as conn:
        conn.execute(
            virtual_keys.update().where(virtual_keys.c.id == "vk_2").values(secret=foreign)
        )
    before[2] = foreign
    with pytest.raises(SecretUnreadable, match="'k2' does not decrypt"):
        store.rewrap_secrets(SecretBox.from_keys([MASTER_KEY_1, MASTER_KEY_2]), only_new)
    assert {i: _row(database, f"k{i}").secret for i in range(3)} == before


def test_config_versions_deletes_and_listing(store):
    assert store.put_config("main", '{"a":1}', T0) == (1, True)
    assert store.put_config("main", '{"a":1}', T0 + 1) == (1, False)
    assert store.put_config("main", '{"a":2}', T0 + 2) == (2, True)
    assert store.put_config("alt", '{"b":"\u00e9"}', T0 + 3) == (1, True)
    assert store.config("main") == (2, '{"a":2}')
    assert store.config("main", 1) == (1, '{"a":1}')
    assert store.config("main", 3) is None
    assert store.config("alt") == (1, '{"b":"\u00e9"}')
    assert store.list_configs() == [ConfigInfo("alt", 1, T0 + 3), ConfigInfo("main", 2, T0 + 2)]
    assert store.delete_config("main", T0 + 4)
    assert not store.delete_config("main", T0 + 5)
    assert store.config("main") is None
    assert store.list_configs() == [ConfigInfo("alt", 1, T0 + 3)]
    assert store.put_config("main", '{"a":2}', T0 + 6) == (3, True)  # numbers never reused
    assert store.config("main", 2) is None


def test_concurrent_puts_of_one_name_get_distinct_versions(store):
    import threading

    results = []
    together = threading.Barrier(4)

    def put(i):
        together.wait(timeout=10)
        results.append(store.put_config("race", f'{{"i":{i}}}', T0 + i))

    threads = [threading.Thread(target=put, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [(1, True), (2, True), (3, True), (4, True)]


def test_generation_moves_on_writes_only(store):
    start = store.generation
    store.add_api_key(record("ak_000000000001", "design"))
    assert store.generation == start + 1
    store.find_api_key("0" * 64)
    store.list_api_keys()
    store.touch_api_key("ak_000000000001", T0 + 60, 60.0)  # a display column
    assert store.generation == start + 1
    store.revoke_api_keys("design", T0)
    store.put_config("c", "{}", T0)
    assert store.generation == start + 3


def test_no_sql_outside_the_store():
    """The credentials package names no table and imports no driver."""
    import pathlib

    import gateway.credentials as credentials

    root = pathlib.Path(credentials.__file__).parent
    for path in root.glob("*.py"):
        source = path.read_text()
        assert "sqlite3" not in source, path
        assert "sqlalchemy" not in source, path
