"""CacheStore on each engine: budget, eviction, shared texts, expiry, hit batches.

SQLite keeps the images' text in files under the cache directory (as before); with
PostgreSQL it is rows of the ``blobs`` table, which the helpers below read and damage
the way the SQLite tests do the files.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from gateway.cache.files import text_name
from gateway.cache.store import CachedImage, CacheStore, Entry, Meta
from gateway.cache.texts import FileTexts
from gateway.store.database import Database
from gateway.store.engine import database_url
from gateway.store.tables import blobs, cache_entries
from tests.store_servers import fresh_database, postgres_url

PNG = b"\x89PNG\r\n\x1a\n"
META = Meta(team="design", provider="openai", model="dall-e-3")


def image(fill: int, size: int = 100) -> CachedImage:
    """An image stored as ``size`` bytes of base64 text (a multiple of 4)."""
    raw = PNG + bytes([fill]) * (size * 3 // 4 - len(PNG))
    return CachedImage(base64.b64encode(raw), "image/png", f"rp{fill}")


def entry(*images: CachedImage, created: int = 1_700_000_000) -> Entry:
    return Entry(created, images)


@pytest.fixture
def now() -> list[float]:
    return [1_800_000_000.0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return postgres_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    if request.param == "sqlite":
        url = database_url({"GATEWAY_DATA_DIR": str(tmp_path)})
        with _migrated(url, tmp_path) as database:
            yield database
        return
    with (
        fresh_database(request.getfixturevalue("postgres_server")) as url,
        _migrated(url, tmp_path) as database,
    ):
        yield database


class _migrated:
    def __init__(self, url: str, data_dir: Any) -> None:
        self.database = Database(url, data_dir=str(data_dir), pool_size=4)

    def __enter__(self) -> Database:
        self.database.migrate()
        return self.database

    def __exit__(self, *exc: object) -> None:
        self.database.dispose()


@pytest.fixture
def make_store(tmp_path, now, database):
    stores = []

    def build(max_bytes: int = 1000) -> CacheStore:
        store = CacheStore(database, tmp_path / "cache", max_bytes, clock=lambda: now[0])
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()


def on_files(store: CacheStore) -> bool:
    return isinstance(store.texts, FileTexts)


def files(store: CacheStore) -> set[str]:
    """The stored texts' names: the cache directory's files, or the ``blobs`` rows."""
    if not on_files(store):
        return store.texts.blobs.names()
    directory = store.directory
    return {p.name for p in directory.iterdir()} if directory.exists() else set()


def plant_text(store: CacheStore, name: str, data: bytes) -> None:
    """A text no entry names (a writer that died between its text and its row)."""
    if on_files(store):
        (store.directory / name).write_bytes(data)
    else:
        store.texts.blobs.put(name, data, 0.0)


def remove_text(store: CacheStore, name: str) -> None:
    """A text removed behind the index's back."""
    if on_files(store):
        (store.directory / name).unlink()
    else:
        assert store.texts.blobs.delete(name)


def damage_text(store: CacheStore, name: str, data: bytes) -> None:
    if on_files(store):
        (store.directory / name).write_bytes(data)
    else:
        with store.database.write() as conn:
            conn.execute(update(blobs).where(blobs.c.name == name).values(data=data))


def column(store: CacheStore, *names: str) -> list[tuple]:
    query = select(*(cache_entries.c[name] for name in names)).order_by(cache_entries.c.key)
    with store.database.read() as conn:
        return [tuple(row) for row in conn.execute(query)]


def tick(now: list[float], seconds: float = 1.0) -> None:
    now[0] += seconds


def test_put_then_get_returns_the_bytes_and_counts_the_hit(make_store):
    store = make_store()
    assert store.put("k1", META, entry(image(1), image(2)), max_age=60)
    got = store.get("k1", max_age=60)
    assert got == entry(image(1), image(2))
    assert files(store) == {text_name(image(1).text), text_name(image(2).text)}
    assert text_name(image(1).text).endswith(".b64")
    stats = store.stats()
    assert (stats["entries"], stats["bytes"], stats["hits"], stats["files"]) == (1, 200, 1, 2)
    assert store.get("unknown", max_age=60) is None


def test_hits_are_written_in_one_batch_a_second(make_store, now):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=600)

    def written() -> tuple[int, float]:
        return column(store, "hits", "last_used_at")[0]  # "k" comes before "other"

    created = now[0]
    for _ in range(3):
        store.get("k", max_age=600)
    assert written() == (0, created)
    tick(now)
    store.get("k", max_age=600)
    assert written() == (4, now[0])
    tick(now, 0.5)
    store.get("k", max_age=600)
    store.put("other", META, entry(image(2)), max_age=600)  # a store writes pending hits too
    assert written() == (5, now[0])


def test_least_recently_used_entries_go_first(make_store, now):
    store = make_store(max_bytes=300)
    for key, fill in (("a", 1), ("b", 2), ("c", 3)):
        store.put(key, META, entry(image(fill)), max_age=600)
        tick(now)
    assert store.get("a", max_age=600) is not None  # b is now the least recently used
    tick(now)
    store.put("d", META, entry(image(4)), max_age=600)
    assert store.get("b", max_age=600) is None
    assert [k for k in "acd" if store.get(k, max_age=600)] == ["a", "c", "d"]
    assert files(store) == {text_name(image(n).text) for n in (1, 3, 4)}
    assert store.stats()["bytes"] == 300


def test_a_file_shared_by_two_entries_stays_until_the_last_one_goes(make_store, now):
    store = make_store(max_bytes=200)
    store.put("a", META, entry(image(1)), max_age=600)
    tick(now)
    store.put("b", META, entry(image(1)), max_age=600)
    assert files(store) == {text_name(image(1).text)}
    tick(now)
    store.put("c", META, entry(image(2)), max_age=600)  # evicts a, whose file b still uses
    assert store.get("a", max_age=600) is None
    assert store.get("b", max_age=600).images == (image(1),)
    tick(now)
    store.put("d", META, entry(image(3)), max_age=600)  # evicts c (b was just read)
    tick(now)
    store.put("e", META, entry(image(4)), max_age=600)  # evicts b: its file goes
    assert files(store) == {text_name(image(n).text) for n in (3, 4)}


def test_an_entry_larger_than_the_budget_is_not_stored(make_store):
    store = make_store(max_bytes=150)
    assert not store.put("big", META, entry(image(1), image(2)), max_age=60)
    assert store.stats()["entries"] == 0
    assert not store.directory.exists()
    assert files(store) == set()


def test_replacing_an_entry_removes_its_old_files(make_store):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=60)
    store.put("k", META, entry(image(2)), max_age=60)
    assert store.get("k", max_age=60).images == (image(2),)
    assert files(store) == {text_name(image(2).text)}


def test_expired_entries_are_misses_and_go_on_the_next_write(make_store, now):
    store = make_store()
    store.put("old", META, entry(image(1)), max_age=10)
    tick(now, 10)
    assert store.get("old", max_age=3600) is None
    store.put("new", META, entry(image(2)), max_age=10)
    assert store.stats()["entries"] == 1
    assert files(store) == {text_name(image(2).text)}


def test_purge_expired_also_removes_files_no_entry_uses(make_store, now):
    store = make_store()
    store.put("old", META, entry(image(1)), max_age=10)
    store.put("kept", META, entry(image(2)), max_age=100)
    plant_text(store, "0" * 64 + ".png", b"orphan")
    tick(now, 10)
    assert store.purge_expired() == 1
    assert files(store) == {text_name(image(2).text)}
    assert store.get("kept", max_age=100) is not None


def test_clear_removes_every_entry_and_file(make_store):
    store = make_store()
    store.put("a", META, entry(image(1)), max_age=60)
    store.put("b", META, entry(image(2)), max_age=60)
    assert store.clear() == 2
    assert files(store) == set()
    assert store.stats()["entries"] == 0


def test_a_missing_file_is_a_miss(make_store):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=60)
    remove_text(store, text_name(image(1).text))
    assert store.get("k", max_age=60) is None


def test_concurrent_writers_never_leave_a_row_without_its_files(make_store, now):
    # Two stores (as two workers) write overlapping entries under a budget of three,
    # so every put evicts entries whose files the other may be writing at that moment.
    stores = [make_store(max_bytes=300), make_store(max_bytes=300)]
    errors = []

    def writer(store: CacheStore, offset: int) -> None:
        try:
            for i in range(60):
                store.put(f"{offset}-{i}", META, entry(image(i % 5)), max_age=600)
        except Exception as exc:  # reported below; a thread must not die silently
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    keys = stores[0].index.keys()
    assert len(keys) == 3
    for key in keys:
        assert stores[0].get(key, max_age=600) is not None, key


def plant(store: CacheStore, key: str, text: str, now: float, max_age: float = 60) -> None:
    """A row written behind the store's back (a tampered or corrupted database)."""
    row = {"key": key, "provider": "openai", "created_at": now, "expires_at": now + max_age}
    with store.database.write() as conn:
        conn.execute(
            insert(cache_entries).values(**row, last_used_at=now, size_bytes=10, entry=text)
        )


def traversal(name: str) -> str:
    return json.dumps({"created": 1, "images": [{"file": name, "content_type": "image/png"}]})


@pytest.mark.parametrize(
    "name", ["../gateway.db", "../victim.png", "/etc/hostname", "A" * 64 + ".png", "x.png"]
)
def test_a_row_naming_a_file_outside_the_pattern_is_never_read(make_store, now, caplog, name):
    store = make_store()
    store.put("good", META, entry(image(1)), max_age=60)  # creates the directory
    (store.directory.parent / "victim.png").write_bytes(PNG + b"secret")
    plant(store, "evil", traversal(name), now[0])
    assert store.get("evil", max_age=60) is None
    assert "cache entry evil... is corrupt" in caplog.text


def test_a_tampered_row_never_unlinks_outside_the_cache_directory(make_store, now, caplog):
    store = make_store()
    store.put("good", META, entry(image(1)), max_age=600)
    victim = store.directory.parent / "victim.png"
    victim.write_bytes(PNG + b"keep me")
    plant(store, "evil", traversal("../victim.png"), now[0], max_age=10)
    plant(store, "evil2", traversal("../gateway.db"), now[0], max_age=10)
    tick(now, 10)
    assert store.put("next", META, entry(image(2)), max_age=600)  # expires both rows
    assert victim.read_bytes() == PNG + b"keep me"
    if store.database.is_sqlite:
        assert (store.directory.parent / "gateway.db").exists()
    assert store.purge_expired() == 0
    assert victim.exists()
    assert store.get("good", max_age=600) is not None


@pytest.mark.parametrize("text", ["{not json", "[]", '{"created": 1}', '{"images": [1]}'])
def test_a_row_that_does_not_parse_is_skipped_and_dropped_on_expiry(make_store, now, caplog, text):
    store = make_store()
    plant(store, "broken", text, now[0], max_age=10)
    assert store.get("broken", max_age=60) is None
    assert store.put("a", META, entry(image(1)), max_age=600)  # the broken row is not yet expired
    tick(now, 10)
    assert store.put("b", META, entry(image(2)), max_age=600)  # expires the broken row
    assert store.index.keys() == ["a", "b"]
    assert store.get("a", max_age=600) is not None
    assert "cache entry broken... is corrupt" in caplog.text


def test_a_row_that_does_not_parse_is_dropped_when_evicted(make_store, now):
    store = make_store(max_bytes=200)
    plant(store, "broken", "{not json", now[0], max_age=600)  # counts 10 bytes
    tick(now)
    store.put("a", META, entry(image(1)), max_age=600)
    tick(now)
    assert store.put("b", META, entry(image(2)), max_age=600)  # over budget: evicts broken
    assert store.index.keys() == ["a", "b"]


def test_a_hit_never_waits_for_another_workers_write_lock(make_store, now):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=600)
    with store.index.writing():  # another worker (or instance) in the middle of a write
        tick(now)  # the hit batch is due
        started = time.monotonic()
        found = []
        thread = threading.Thread(target=lambda: found.append(store.get("k", max_age=600)))
        thread.start()
        thread.join(timeout=5)
        assert time.monotonic() - started < 0.5
        assert found[0] is not None
    store.get("k", max_age=600)
    store.flush_hits()
    assert column(store, "hits") == [(2,)]


def test_a_hit_never_waits_for_this_workers_own_writer(make_store, now):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=600)
    found = []
    with store._write_lock:  # another thread of this worker is storing an entry
        tick(now)
        thread = threading.Thread(target=lambda: found.append(store.get("k", max_age=600)))
        thread.start()
        thread.join(timeout=2)
        assert not thread.is_alive()
    assert found[0] is not None
    store.flush_hits()
    assert column(store, "hits") == [(1,)]


def test_an_entrys_extra_fields_come_back_with_it(make_store):
    store = make_store()
    extra = {"usage": {"total_tokens": 10}, "size": "1024x1024", "background": "opaque"}
    store.put("k", META, Entry(5, (image(1),), extra), max_age=60)
    assert store.get("k", max_age=60) == Entry(5, (image(1),), extra)


def test_a_url_hit_finds_the_files_without_reading_them(make_store):
    store = make_store()
    hosted = "a" * 32 + ".png"
    stored = CachedImage(image(1).text, "image/png", "rp1", hosted)
    store.put("k", META, entry(stored), max_age=60)
    got = store.get("k", max_age=60, read=False)
    assert got.images == (CachedImage(None, "image/png", "rp1", hosted),)
    assert got.images[0].file == text_name(image(1).text)
    assert store.text(got.images[0].file) == image(1).text
    remove_text(store, got.images[0].file)
    assert store.get("k", max_age=60, read=False) is None  # gone: a miss, stored again


def test_a_corrupt_file_is_a_miss_and_is_deleted(make_store, caplog):
    store = make_store()
    store.put("k", META, entry(image(1)), max_age=60)
    damage_text(store, text_name(image(1).text), image(1).text[:-4])
    assert store.get("k", max_age=60) is None
    assert text_name(image(1).text) not in files(store)
    assert "is corrupt: deleted, a miss" in caplog.text
    store.put("k", META, entry(image(1)), max_age=60)  # the next answer writes it again
    assert store.get("k", max_age=60) == entry(image(1))


@pytest.mark.parametrize("hosted", ["../gateway.db", "a" * 32 + ".exe", 7])
def test_a_row_with_a_hosted_name_the_image_store_would_not_make_is_never_read(
    make_store, now, caplog, hosted
):
    store = make_store()
    store.put("good", META, entry(image(1)), max_age=60)
    name = text_name(image(1).text)
    item = {"file": name, "content_type": "image/png", "hosted": hosted}
    plant(store, "evil", json.dumps({"created": 1, "images": [item]}), now[0])
    assert store.get("evil", max_age=60, read=False) is None
    assert "cache entry evil... is corrupt" in caplog.text
