"""gateway.store.secrets: the pepper, URL-signing key and cache key every instance shares."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from gateway.credentials.crypto import SecretBox
from gateway.credentials.keyfile import create_private
from gateway.errors import SecretUnreadable
from gateway.settings import Settings, SettingsError
from gateway.store import secrets
from gateway.store.database import Database
from gateway.store.key_store import DatabaseKeyStore
from gateway.store.tables import shared_secrets
from tests.factories import MASTER_KEY_1, MASTER_KEY_2

PEPPER_TEXT = base64.urlsafe_b64encode(b"P" * 32).decode()


def settings(data_dir: Any, url: str | None = None, **overrides: Any) -> Settings:
    return Settings(data_dir=str(data_dir), database_url=url, **overrides)


@pytest.fixture
def pg(postgres_db: str, tmp_path: Any) -> Iterator[tuple[str, Database]]:
    database = Database(postgres_db, data_dir=str(tmp_path / "a"), pool_size=4)
    database.migrate()
    yield postgres_db, database
    database.dispose()


def stored(database: Database) -> dict[str, str]:
    with database.read() as conn:
        query = select(shared_secrets.c.name, shared_secrets.c.ciphertext)
        return dict(conn.execute(query).all())


def test_sqlite_keeps_the_data_directory_files(tmp_path):
    config = settings(tmp_path / "data")
    first = secrets.load(config)
    assert sorted(os.listdir(tmp_path / "data")) == ["cache.key", "pepper", "url-signing.key"]
    assert len(first.pepper) == len(first.cache_key) == 32
    assert first.pepper != first.cache_key
    assert first.url_signing_key == (tmp_path / "data" / "url-signing.key").read_text().encode()
    assert secrets.load(config) == first  # created once


def test_the_environment_wins_on_either_engine(tmp_path, pg):
    url, database = pg
    pepper, cache = b"E" * 32, b"C" * 40
    env = {"pepper": pepper, "cache_key": cache, "url_signing_key": "u" * 40}
    lite = secrets.load(settings(tmp_path / "lite", **env))
    shared = secrets.load(settings(tmp_path / "b", url, master_keys=(MASTER_KEY_1,), **env))
    assert lite == shared == secrets.SharedSecrets(pepper, b"u" * 40, cache)
    assert stored(database) == {}  # nothing to share: nothing stored
    assert not (tmp_path / "lite" / "pepper").exists()


def test_settings_read_the_keys_as_their_files_hold_them(tmp_path):
    environ = {
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PEPPER": PEPPER_TEXT,
        "GATEWAY_CACHE_KEY": base64.urlsafe_b64encode(b"C" * 32).decode(),
    }
    parsed = Settings.from_env(environ)
    assert (parsed.pepper, parsed.cache_key) == (b"P" * 32, b"C" * 32)
    assert PEPPER_TEXT not in repr(parsed)
    with pytest.raises(SettingsError, match=r"^GATEWAY_PEPPER: invalid value \(must be 32 bytes"):
        Settings.from_env({**environ, "GATEWAY_PEPPER": "c2hvcnQ="})


def test_postgres_without_a_master_key_from_the_environment_refuses_to_start(tmp_path):
    url = "postgresql://gw@127.0.0.1:5432/gw"
    with pytest.raises(SettingsError, match="GATEWAY_MASTER_KEY: required when GATEWAY_DATA"):
        Settings.from_env({"GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_DATABASE_URL": url})
    with pytest.raises(secrets.SharedSecretError, match="GATEWAY_MASTER_KEY: required"):
        secrets.load(settings(tmp_path, url))
    assert not (tmp_path / "pepper").exists()


def test_the_first_instance_creates_them_and_the_others_read_them(tmp_path, pg):
    url, database = pg
    first = secrets.load(settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,)), database)
    tokens = stored(database)
    assert sorted(tokens) == ["cache_key", "pepper", "url_signing_key"]
    # Another machine (its own data directory), and the first one restarted.
    other = secrets.load(settings(tmp_path / "b", url, master_keys=(MASTER_KEY_1,)))
    assert other == first
    assert secrets.load(settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,))) == first
    assert stored(database) == tokens
    assert not (tmp_path / "a" / "pepper").exists()  # no local files with PostgreSQL
    assert len(first.pepper) == 32
    assert len(first.url_signing_key) == 64


def test_instances_starting_together_agree(tmp_path, pg):
    url, _ = pg
    results: list[secrets.SharedSecrets] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def start(n: int) -> None:
        try:
            barrier.wait()
            config = settings(tmp_path / str(n), url, master_keys=(MASTER_KEY_1,))
            results.append(secrets.load(config))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 6
    assert all(result == results[0] for result in results)


def test_a_wrong_master_key_is_a_clear_error(tmp_path, pg):
    url, database = pg
    secrets.load(settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,)), database)
    with pytest.raises(secrets.SharedSecretError) as info:
        secrets.load(settings(tmp_path / "b", url, master_keys=(MASTER_KEY_2,)), database)
    message = str(info.value)
    assert "does not decrypt with GATEWAY_MASTER_KEY" in message
    assert "the master key the first one started with" in message
    assert MASTER_KEY_1 not in message
    assert MASTER_KEY_2 not in message
    # The new key in front of the old one (a rotation in progress) still reads them.
    keys = (MASTER_KEY_2, MASTER_KEY_1)
    assert secrets.load(settings(tmp_path / "b", url, master_keys=keys), database)


def test_a_token_copied_onto_another_name_does_not_decrypt(tmp_path, pg):
    url, database = pg
    config = settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,))
    secrets.load(config, database)
    tokens = stored(database)
    with database.write() as conn:
        conn.execute(
            shared_secrets.update()
            .where(shared_secrets.c.name == "pepper")
            .values(ciphertext=tokens["cache_key"])
        )
    with pytest.raises(secrets.SharedSecretError, match="'pepper'"):
        secrets.load(config, database)


def test_an_install_moving_from_sqlite_keeps_its_pepper(tmp_path, pg, caplog):
    url, database = pg
    data = tmp_path / "a"
    data.mkdir()
    create_private(str(data / "pepper"), PEPPER_TEXT.encode() + b"\n")
    loaded = secrets.load(settings(data, url, master_keys=(MASTER_KEY_1,)), database)
    assert loaded.pepper == b"P" * 32  # API key digests made on SQLite still match
    other = tmp_path / "b"
    other.mkdir()
    create_private(str(other / "pepper"), base64.urlsafe_b64encode(b"Q" * 32) + b"\n")
    again = secrets.load(settings(other, url, master_keys=(MASTER_KEY_1,)), database)
    assert again.pepper == b"P" * 32
    assert "differs from the shared secret pepper in the database" in caplog.text


def test_a_master_key_rotation_moves_them_under_the_new_key(tmp_path, pg):
    url, database = pg
    first = secrets.load(settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,)), database)
    with pytest.raises(SecretUnreadable, match="'cache_key' does not decrypt"):
        secrets.rewrap(database, SecretBox.from_keys([MASTER_KEY_2]))
    before = stored(database)
    assert secrets.rewrap(database, SecretBox.from_keys([MASTER_KEY_2, MASTER_KEY_1])) == 3
    assert stored(database) != before
    config = settings(tmp_path / "a", url, master_keys=(MASTER_KEY_2,))
    assert secrets.load(config, database) == first


def test_rotating_the_virtual_keys_rotates_the_shared_secrets_in_the_same_transaction(tmp_path, pg):
    url, database = pg
    first = secrets.load(settings(tmp_path / "a", url, master_keys=(MASTER_KEY_1,)), database)
    store = DatabaseKeyStore(database, SecretBox.from_keys([MASTER_KEY_1]))
    both = SecretBox.from_keys([MASTER_KEY_2, MASTER_KEY_1])
    assert store.rewrap_secrets(both, SecretBox.from_keys([MASTER_KEY_2])) == 0  # no vkeys
    config = settings(tmp_path / "b", url, master_keys=(MASTER_KEY_2,))
    assert secrets.load(config, database) == first  # an instance with the new key alone
    before = stored(database)
    with pytest.raises(SecretUnreadable):  # checked with the new key alone: nothing moves
        store.rewrap_secrets(both, SecretBox.from_keys([MASTER_KEY_1]))
    assert stored(database) == before
