from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from gateway.credentials import MasterKeyError, SecretBox, open_credentials
from gateway.credentials.crypto import KeyFile
from gateway.credentials.keyfile import create_private, format_keys, read_keys, replace_private
from gateway.errors import SecretUnreadable
from gateway.settings import Settings, SettingsError
from gateway.store.database import Database
from tests.factories import MASTER_KEY_1, MASTER_KEY_2, PROVIDER_KEY, settings, virtual_key
from tests.unit.credentials.raw import execute


def test_round_trip_is_bound_to_its_context(box):
    token = box.encrypt("vk1:a:x", PROVIDER_KEY)
    assert PROVIDER_KEY not in token
    assert box.decrypt("vk1:a:x", token) == PROVIDER_KEY
    with pytest.raises(SecretUnreadable) as info:
        box.decrypt("vk1:b:x", token)
    assert PROVIDER_KEY not in str(info.value)
    assert info.value.status == 500


def test_a_token_under_another_key_does_not_decrypt(box):
    other = SecretBox.from_keys([MASTER_KEY_2])
    with pytest.raises(SecretUnreadable):
        box.decrypt("c", other.encrypt("c", PROVIDER_KEY))


def test_ciphertext_moved_to_another_row_does_not_decrypt(sqlite_store):
    sqlite_store.add_virtual_key(virtual_key(id="vk_a", name="a"), PROVIDER_KEY)
    sqlite_store.add_virtual_key(virtual_key(id="vk_b", name="b"), "sk-other-0000000000000000")
    execute(
        sqlite_store,
        "UPDATE virtual_keys SET secret = (SELECT secret FROM virtual_keys WHERE id = 'vk_a') "
        "WHERE id = 'vk_b'",
    )
    assert sqlite_store.reveal_secret("vk_a") == PROVIDER_KEY
    with pytest.raises(SecretUnreadable, match="does not belong to its record"):
        sqlite_store.reveal_secret("vk_b")


def test_an_endpoint_edited_in_the_database_does_not_decrypt(sqlite_store):
    sqlite_store.add_virtual_key(virtual_key(id="vk_a", name="a"), PROVIDER_KEY)
    execute(
        sqlite_store,
        "UPDATE virtual_keys SET base_url = 'https://attacker.example' WHERE id = 'vk_a'",
    )
    with pytest.raises(SecretUnreadable):
        sqlite_store.reveal_secret("vk_a")


def test_a_worker_rereads_the_key_file_when_a_secret_does_not_decrypt(tmp_path):
    path = str(tmp_path / "master.key")
    create_private(path, format_keys([MASTER_KEY_1]))
    worker = SecretBox(KeyFile(path))
    token = SecretBox.from_keys([MASTER_KEY_2]).encrypt("ctx", PROVIDER_KEY)
    replace_private(path, format_keys([MASTER_KEY_2, MASTER_KEY_1]))  # rotation, step 1
    assert worker.decrypt("ctx", token) == PROVIDER_KEY


def test_fixed_keys_are_not_reread():
    box = SecretBox.from_keys([MASTER_KEY_1])
    token = SecretBox.from_keys([MASTER_KEY_2]).encrypt("ctx", PROVIDER_KEY)
    with pytest.raises(SecretUnreadable, match="does not decrypt with the configured master key"):
        box.decrypt("ctx", token)


def test_master_key_file_is_created_owner_only_and_reused(tmp_path):
    s = settings(tmp_path)
    first = open_credentials(s, Database.from_settings(s))
    path = s.master_key_path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(s.pepper_path).st_mode) == 0o600
    (key,) = read_keys(path)
    Fernet(key.encode())  # a valid key
    second = open_credentials(s, Database.from_settings(s))
    assert read_keys(path) == [key]
    assert second.pepper == first.pepper
    assert len(first.pepper) == 32


@pytest.mark.parametrize("name", ["master.key", "pepper"])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_file_others_can_read_stops_start_up(tmp_path, name, mode):
    s = settings(tmp_path)
    open_credentials(s, Database.from_settings(s))
    path = os.path.join(s.data_dir, name)
    with open(path) as f:
        secret_text = f.read()
    os.chmod(path, mode)
    with pytest.raises(MasterKeyError) as info:
        open_credentials(s, Database.from_settings(s))
    message = str(info.value)
    assert message == (
        f"refusing {path}: mode {mode:04o} lets group or others access it; run: chmod 600 {path}"
    )
    assert all(line not in message for line in secret_text.splitlines() if len(line) > 8)


def test_a_malformed_key_file_names_the_line_not_the_content(tmp_path):
    s = settings(tmp_path)
    os.makedirs(s.data_dir)
    bad = MASTER_KEY_1[:-2] + "!="
    create_private(s.master_key_path, f"# comment\n{MASTER_KEY_1}\n{bad}\n".encode())
    with pytest.raises(MasterKeyError) as info:
        open_credentials(s, Database.from_settings(s))
    assert str(info.value) == (
        f"{s.master_key_path}, line 3: not a Fernet key (44 characters, URL-safe base64)"
    )
    empty = str(tmp_path / "empty.key")
    create_private(empty, b"# nothing\n")
    with pytest.raises(MasterKeyError, match="holds no key"):
        read_keys(empty)


def test_creation_never_overwrites_an_existing_file(tmp_path):
    path = str(tmp_path / "f")
    assert create_private(path, b"first")
    assert not create_private(path, b"second")
    with open(path, "rb") as f:
        assert f.read() == b"first"
    assert os.listdir(tmp_path) == ["f"]  # no temporary file left behind


def test_master_key_from_the_environment(tmp_path):
    s = Settings.from_env(
        {"GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_MASTER_KEY": f"{MASTER_KEY_2}, {MASTER_KEY_1}"}
    )
    assert s.master_keys == (MASTER_KEY_2, MASTER_KEY_1)
    assert MASTER_KEY_1 not in repr(s)
    open_credentials(s, Database.from_settings(s))
    assert not os.path.exists(s.master_key_path)


@pytest.mark.parametrize(
    "value", [MASTER_KEY_1[:-4], f"{MASTER_KEY_1},not-a-key", f"{MASTER_KEY_1},{MASTER_KEY_1}"]
)
def test_a_bad_master_key_setting_is_named_never_shown(value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"GATEWAY_MASTER_KEY": value})
    assert str(info.value).startswith("GATEWAY_MASTER_KEY: invalid value")
    assert MASTER_KEY_1[:10] not in str(info.value)
    assert "not-a-key" not in str(info.value)
