from __future__ import annotations

import pytest

from gateway.credentials import SecretBox
from gateway.credentials.crypto import KeyFile, secret_context
from gateway.credentials.keyfile import create_private, format_keys, read_keys
from gateway.credentials.rotation import (
    RotationError,
    env_value_with,
    rotate_env_keys,
    rotate_key_file,
)
from gateway.errors import SecretUnreadable
from gateway.settings import Settings
from gateway.store.key_store import DatabaseKeyStore
from tests.factories import MASTER_KEY_1, MASTER_KEY_2, virtual_key
from tests.unit.credentials.raw import execute

SECRETS = {f"vk{i}": f"sk-secret-number-{i}-000000000000" for i in range(3)}


@pytest.fixture
def keyed(tmp_path, db_store):
    """A store (SQLite, PostgreSQL) whose box reads a key file holding MASTER_KEY_1, with
    three secrets."""
    path = str(tmp_path / "master.key")
    create_private(path, format_keys([MASTER_KEY_1]))
    store = DatabaseKeyStore(db_store.database, SecretBox(KeyFile(path)))
    for i, (name, secret) in enumerate(SECRETS.items()):
        store.add_virtual_key(virtual_key(id=f"vk_{i}", name=name), secret)
    return path, store


def _tokens(store):
    return dict(execute(store, "SELECT id, secret FROM virtual_keys"))


def test_rotation_re_encrypts_every_row_and_drops_the_old_key(keyed):
    path, store = keyed
    worker = DatabaseKeyStore(store.database, SecretBox(KeyFile(path)))  # loaded before rotation
    before = _tokens(store)
    assert rotate_key_file(path, store, MASTER_KEY_2) == 3
    assert read_keys(path) == [MASTER_KEY_2]
    after = _tokens(store)
    assert set(after) == set(before)
    only_new = SecretBox.from_keys([MASTER_KEY_2])
    for i, secret in enumerate(SECRETS.values()):
        context = secret_context(f"vk_{i}", "openai", None, {})
        assert after[f"vk_{i}"] != before[f"vk_{i}"]
        assert only_new.decrypt(context, after[f"vk_{i}"]) == secret
        with pytest.raises(SecretUnreadable):
            only_new.decrypt(context, before[f"vk_{i}"])
        assert worker.reveal_secret(f"vk_{i}") == secret  # re-read the file, no restart


def test_a_generated_key_is_used_when_none_is_given(keyed):
    path, store = keyed
    rotate_key_file(path, store)
    (new,) = read_keys(path)
    assert new not in (MASTER_KEY_1, MASTER_KEY_2)
    assert store.reveal_secret("vk_0") == SECRETS["vk0"]


def test_a_row_that_does_not_decrypt_aborts_with_no_row_changed(keyed):
    path, store = keyed
    foreign = SecretBox.from_keys([MASTER_KEY_2]).encrypt("x", "sk-foreign")
    execute(store, "UPDATE virtual_keys SET secret = :s WHERE id = 'vk_2'", s=foreign)
    before = _tokens(store)
    with pytest.raises(SecretUnreadable) as info:
        rotate_key_file(path, store)
    assert info.value.message == (
        "Virtual key 'vk2' does not decrypt with any configured master key; nothing was changed."
    )
    assert _tokens(store) == before
    keys = read_keys(path)  # new key first, old kept: every worker can still read every row
    assert keys[1:] == [MASTER_KEY_1]
    assert store.reveal_secret("vk_0") == SECRETS["vk0"]


def test_rotation_to_a_key_already_listed_is_refused(keyed):
    path, store = keyed
    with pytest.raises(RotationError, match="already in"):
        rotate_key_file(path, store, MASTER_KEY_1)


def test_environment_keys_need_the_new_key_deployed_first(tmp_path, db_store):
    old = Settings(data_dir=str(tmp_path), master_keys=(MASTER_KEY_1,))
    db_store.add_virtual_key(virtual_key(), "sk-env-secret-0000000000")
    before = _tokens(db_store)
    assert env_value_with(old, MASTER_KEY_2) == f"{MASTER_KEY_2},{MASTER_KEY_1}"
    with pytest.raises(RotationError, match="must list the new key first"):
        rotate_env_keys(old, db_store, MASTER_KEY_2)
    both = Settings(data_dir=str(tmp_path), master_keys=(MASTER_KEY_2, MASTER_KEY_1))
    assert rotate_env_keys(both, db_store, MASTER_KEY_2) == 1
    context = secret_context("vk_0000000000000001", "openai", None, {})
    only_new = SecretBox.from_keys([MASTER_KEY_2])
    assert only_new.decrypt(context, _tokens(db_store)["vk_0000000000000001"]) == (
        "sk-env-secret-0000000000"
    )
    with pytest.raises(SecretUnreadable):
        only_new.decrypt(context, before["vk_0000000000000001"])
