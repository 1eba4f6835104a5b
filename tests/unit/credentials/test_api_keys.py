from __future__ import annotations

import hmac
import re

import pytest

from gateway.credentials import Credentials, MemoryKeyStore, Team, looks_like_gateway_key
from gateway.credentials import api_keys as keys
from tests.factories import PEPPER

KNOWN = "pkgw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_1Ci28I"


def test_format_prefix_body_and_base62_crc32_checksum():
    assert keys.generate("A" * 43) == KNOWN
    assert keys.checksum("pkgw_" + "A" * 43) == "1Ci28I"
    fresh = keys.generate()
    assert re.fullmatch(r"pkgw_[A-Za-z0-9_-]{43}_[0-9A-Za-z]{6}", fresh)
    assert len(fresh) == keys.KEY_LENGTH == 55
    assert fresh != keys.generate()
    assert looks_like_gateway_key(fresh)


@pytest.mark.parametrize(
    "text",
    [
        KNOWN[:-1] + "J",  # checksum off by one character
        "pkgw_B" + KNOWN[6:],  # body changed, checksum kept
        "pkgx_" + KNOWN[5:],
        KNOWN + "A",
        KNOWN[:-7] + "-1Ci28I",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN",
        "",
        "pkgw_" + "é" * 43 + "_1Ci28I",
    ],
)
def test_garbage_is_rejected_without_a_lookup(text):
    assert not looks_like_gateway_key(text)
    store = MemoryKeyStore()
    store.find_api_key = lambda digest: pytest.fail("looked up")  # type: ignore[method-assign]
    assert keys.authenticate(store, PEPPER, text, 0.0) is None


def test_non_string_is_not_a_key():
    assert not looks_like_gateway_key(None)  # type: ignore[arg-type]


def test_only_the_peppered_digest_is_stored(store):
    key, record = keys.create(store, PEPPER, "team-a", 1000.0)
    assert record.digest == hmac.new(PEPPER, key.encode(), "sha256").hexdigest()
    assert record.hint == key[-4:]
    assert keys.digest(b"q" * 32, key) != record.digest
    stored = store.list_api_keys()
    assert [(r.name, r.hint, r.created_at, r.last_used_at) for r in stored] == [
        ("team-a", key[-4:], 1000.0, None)
    ]
    assert key not in repr(stored)


def test_authenticate_known_unknown_and_revoked(store):
    key, record = keys.create(store, PEPPER, "team-a", 1000.0)
    assert keys.authenticate(store, PEPPER, key, 1001.0) == Team("team-a", record.id)
    assert keys.authenticate(store, PEPPER, keys.generate(), 1001.0) is None
    assert keys.authenticate(store, b"other-pepper" * 3, key, 1001.0) is None
    assert store.revoke_api_keys(record.id, 1002.0) == 1
    assert keys.authenticate(store, PEPPER, key, 1003.0) is None


def test_the_team_carries_its_keys_limits(store):
    key, record = keys.create(store, PEPPER, "team-a", 1000.0)
    store.set_api_key_limits(record.id, {"limit_ipm": 9, "limit_daily_micro_usd": 250_000})
    assert keys.authenticate(store, PEPPER, key, 1001.0) == Team(
        "team-a", record.id, limit_ipm=9, limit_daily_micro_usd=250_000
    )


@pytest.mark.parametrize("case", ["known", "unknown", "revoked"])
def test_every_well_formed_key_goes_through_compare_digest(store, monkeypatch, case):
    key, record = keys.create(store, PEPPER, "team-a", 1000.0)
    if case == "unknown":
        key = keys.generate()
    if case == "revoked":
        store.revoke_api_keys("team-a", 1000.5)
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    result = keys.authenticate(store, PEPPER, key, 1001.0)
    assert (result is not None) is (case == "known")
    expected = record.digest if case != "unknown" else "0" * 64
    assert calls[-1] == (expected, keys.digest(PEPPER, key))


def test_last_used_is_written_at_most_once_a_minute(store):
    now = [1000.0]
    creds = Credentials(store, PEPPER, clock=lambda: now[0])
    key, _ = keys.create(store, PEPPER, "team-a", 900.0)

    def last_used():
        return store.list_api_keys()[0].last_used_at

    assert creds.authenticate(key) == Team("team-a", store.list_api_keys()[0].id)
    assert last_used() == 1000.0
    now[0] = 1059.0
    creds.authenticate(key)
    assert last_used() == 1000.0
    now[0] = 1060.0
    creds.authenticate(key)
    assert last_used() == 1060.0


def test_touch_failure_does_not_fail_authentication(sqlite_store, caplog):
    import sqlite3

    key, _ = keys.create(sqlite_store, PEPPER, "team-a", 900.0)

    def broken(*args):
        raise sqlite3.OperationalError("database is locked")

    sqlite_store.touch_api_key = broken  # type: ignore[method-assign]
    assert keys.authenticate(sqlite_store, PEPPER, key, 1000.0) is not None
    assert "could not record last use" in caplog.text
    assert key not in caplog.text


def test_revoke_by_team_name_revokes_every_active_key(store):
    keys.create(store, PEPPER, "team-a", 1.0)
    keys.create(store, PEPPER, "team-a", 2.0)
    _, other = keys.create(store, PEPPER, "team-b", 3.0)
    assert store.revoke_api_keys("team-a", 10.0) == 2
    assert store.revoke_api_keys("team-a", 11.0) == 0
    assert store.revoke_api_keys("nobody", 11.0) == 0
    assert [(r.name, r.revoked_at) for r in store.list_api_keys()] == [
        ("team-a", 10.0),
        ("team-a", 10.0),
        ("team-b", None),
    ]
    assert other.id.startswith("ak_")
