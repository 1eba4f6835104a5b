"""gateway.store.blobs: the shared ``blobs`` table (both engines) and the files of the
default, and the image store on each."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from gateway.errors import GatewayError
from gateway.outbound.image_store import ImageStore
from gateway.store.blobs import SWEEP_BATCH, DatabaseBlobs, FileBlobs
from gateway.store.database import Database
from gateway.store.tables import blobs as blobs_table
from tests.e2e.fakes import TINY_PNG

NOW = 1_800_000_000.0
KEY = b"k" * 32


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(any_db: str, tmp_path: Any) -> Iterator[Database]:
    db = Database(any_db, data_dir=str(tmp_path / "data"), pool_size=4)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def postgres_database(postgres_db: str, tmp_path: Any) -> Iterator[Database]:
    db = Database(postgres_db, data_dir=str(tmp_path / "data"), pool_size=4)
    db.migrate()
    yield db
    db.dispose()


def rows(database: Database) -> list[tuple[str, str, int, float]]:
    query = select(
        blobs_table.c.kind, blobs_table.c.name, blobs_table.c.size_bytes, blobs_table.c.expires_at
    ).order_by(blobs_table.c.kind, blobs_table.c.name)
    with database.read() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_put_get_and_an_expiry_that_only_moves_forward(database):
    blobs = DatabaseBlobs(database, "image", Clock())
    blobs.put("a.png", b"x" * 10, NOW + 60)
    assert blobs.get("a.png") == b"x" * 10
    assert blobs.get("b.png") is None
    blobs.put("a.png", b"x" * 10, NOW + 120)  # stored again: one row, a later expiry
    blobs.put("a.png", b"x" * 10, NOW + 30)  # an older link never shortens it
    assert rows(database) == [("image", "a.png", 10, NOW + 120)]
    assert blobs.extend("a.png", NOW + 200) is True
    assert blobs.extend("a.png", NOW + 100) is True
    assert blobs.extend("missing.png", NOW + 200) is False
    assert rows(database) == [("image", "a.png", 10, NOW + 200)]
    assert blobs.usage() == 10
    assert blobs.delete("a.png") is True
    assert blobs.delete("a.png") is False
    assert rows(database) == []


def test_an_image_of_1_5_mb_comes_back_byte_for_byte(database):
    data = os.urandom(1_500_000)
    blobs = DatabaseBlobs(database, "image")
    blobs.put("big.png", data, NOW)
    assert blobs.get("big.png") == data
    assert blobs.count_and_bytes() == (1, 1_500_000)


def test_kinds_do_not_see_each_other(database):
    images, cache = DatabaseBlobs(database, "image"), DatabaseBlobs(database, "cache")
    images.put("same", b"image", NOW)
    cache.put("same", b"cached text", NOW)
    assert (images.get("same"), cache.get("same")) == (b"image", b"cached text")
    assert (images.usage(), cache.usage()) == (5, 11)
    assert cache.clear() == 1
    assert images.get("same") == b"image"
    assert cache.present(["same", "other"]) == set()
    assert images.present(["same", "other"]) == {"same"}


def test_a_put_inside_the_callers_transaction_rolls_back_with_it(database):
    blobs = DatabaseBlobs(database, "cache")
    seen = []

    def failing_write() -> None:
        with database.write() as conn:
            blobs.put("t.b64", b"text", NOW, connection=conn)
            seen.append(blobs.get("t.b64", connection=conn))
            raise RuntimeError("the row that goes with it failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert seen == [b"text"]
    assert blobs.get("t.b64") is None


def test_sweep_deletes_expired_rows_in_bounded_batches(database):
    blobs = DatabaseBlobs(database, "image")
    count = SWEEP_BATCH * 2 + 100
    with database.write() as conn:
        for i in range(count):
            expires = NOW - 1 if i % 2 else NOW + 60
            blobs.put(f"{i:032x}.png", b"x", expires, connection=conn)
    DatabaseBlobs(database, "cache").put("old.b64", b"x", NOW - 1)  # another kind stays
    statements = []
    original = database.write

    def counted():
        statements.append(1)
        return original()

    database.write = counted  # type: ignore[method-assign]
    try:
        assert blobs.sweep_expired(NOW) == count // 2
    finally:
        database.write = original  # type: ignore[method-assign]
    assert len(statements) == 2  # 500 then 100: each batch its own transaction
    assert blobs.count_and_bytes() == (count // 2, count // 2)
    assert DatabaseBlobs(database, "cache").get("old.b64") == b"x"
    assert blobs.sweep_expired(NOW) == 0


def test_a_row_extended_while_the_sweeper_waits_for_it_is_kept(postgres_database):
    database = postgres_database
    blobs = DatabaseBlobs(database, "image")
    blobs.put("a.png", b"x", NOW - 1)
    swept: list[int] = []
    with database.engine().connect() as other:
        transaction = other.begin()  # another instance reusing the image: row locked
        other.execute(
            update(blobs_table).where(blobs_table.c.name == "a.png").values(expires_at=NOW + 60)
        )
        sweeper = threading.Thread(target=lambda: swept.append(blobs.sweep_expired(NOW)))
        sweeper.start()
        time.sleep(0.3)
        assert sweeper.is_alive()  # waiting for the row
        transaction.commit()
        sweeper.join(timeout=10)
    assert swept == [0]
    assert rows(database) == [("image", "a.png", 1, NOW + 60)]


def test_file_blobs_keep_a_file_ttl_after_it_was_last_stored(tmp_path):
    blobs = FileBlobs(tmp_path / "images", ttl_s=60)
    assert blobs.extend("a.png", NOW + 60) is False  # no directory yet
    assert blobs.get("a.png") is None
    blobs.put("a.png", b"abc", NOW + 60)
    path = tmp_path / "images" / "a.png"
    assert path.stat().st_mtime == NOW  # stored at NOW, as the files always were
    assert blobs.extend("a.png", NOW + 90) is True
    assert path.stat().st_mtime == NOW + 30
    assert blobs.path("a.png") == path
    assert blobs.usage() == 3
    assert blobs.sweep_expired(NOW + 89) == 0
    assert blobs.sweep_expired(NOW + 91) == 1
    assert blobs.usage() == 0
    assert blobs.delete("a.png") is False


@pytest.fixture
def image_store(database: Database) -> ImageStore:
    clock = Clock()
    return ImageStore(
        Path(database.data_dir) / "images",  # never written: the bytes are rows
        KEY,
        60,
        clock,
        max_bytes=(len(TINY_PNG) + 1) * 2,  # two of the test images
        blobs=DatabaseBlobs(database, "image", clock),
    )


def test_image_store_on_the_table_links_reuse_and_expiry(image_store, database):
    name, expires = image_store.put(TINY_PNG)
    signature = image_store.signature(name, expires)
    assert image_store.find(name, str(expires), signature) == TINY_PNG
    image_store.clock.now += 30
    assert image_store.put(TINY_PNG) == (name, expires + 30)  # reused, expiry moved
    assert image_store.reuse(name) == expires + 30
    assert rows(database) == [("image", name, len(TINY_PNG), NOW + 90)]
    assert not (Path(database.data_dir) / "images").exists()
    image_store.clock.now = NOW + 91
    assert image_store.find(name, str(expires), signature) is None  # the link expired
    assert image_store.sweep() == 1
    assert rows(database) == []
    assert image_store.reuse(name) is None


def test_image_store_on_the_table_answers_507_when_full_after_a_sweep(image_store):
    one, two, three = (TINY_PNG + bytes([i]) for i in range(3))  # three images, one size
    first, _ = image_store.put(one)
    image_store.clock.now += 30
    image_store.put(two)
    with pytest.raises(GatewayError) as info:
        image_store.put(three)
    assert (info.value.status, info.value.code) == (507, "image_store_full")
    image_store.clock.now += 31  # the first one's link has expired: the refusal path sweeps
    assert image_store.put(three)[0] != first
    assert image_store.blobs.get(first) is None


def test_the_budget_counts_images_other_instances_stored(image_store, database):
    DatabaseBlobs(database, "image").put("b" * 32 + ".png", TINY_PNG * 2, NOW + 60)
    with pytest.raises(GatewayError) as info:
        image_store.put(TINY_PNG)
    assert info.value.status == 507
    with database.read() as conn:
        assert conn.scalar(select(func.count()).select_from(blobs_table)) == 1
