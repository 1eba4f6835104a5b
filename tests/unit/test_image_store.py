"""Gateway-hosted images: signed links, expiry, the sweeper, the shared key file."""

from __future__ import annotations

import os
import stat
import time

import pytest

from gateway.errors import GatewayError
from gateway.image_formats import sniff
from gateway.outbound.image_store import NAME, ImageStore
from gateway.store.secrets import KEY_FILE, load_key
from tests.e2e.fakes import TINY_PNG

KEY = b"k" * 32
# A second, different PNG (2x1 pixels).
OTHER_PNG = TINY_PNG[:16] + b"\x00\x00\x00\x02" + TINY_PNG[20:]


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(tmp_path, clock=None, ttl=3600):
    return ImageStore(tmp_path / "images", KEY, ttl, clock or Clock())


def test_put_writes_the_bytes_under_a_random_looking_name_and_link_expires_after_the_ttl(
    tmp_path,
):
    images = store(tmp_path)
    name, expires = images.put(TINY_PNG)
    assert NAME.match(name)
    assert name.endswith(".png")
    assert len(name) == 36
    assert expires == 1_800_000_000 + 3600
    assert (tmp_path / "images" / name).read_bytes() == TINY_PNG
    assert images.put(OTHER_PNG)[0] != name  # other bytes, another name
    assert not [p for p in (tmp_path / "images").iterdir() if p.name.startswith(".")]
    # The name depends on the signing key too: it tells nothing about the bytes by itself.
    assert ImageStore(tmp_path / "other", b"o" * 32, 3600, Clock()).put(TINY_PNG)[0] != name


def test_two_puts_of_the_same_bytes_store_one_file(tmp_path):
    clock = Clock()
    images = store(tmp_path, clock, ttl=60)
    first, first_expires = images.put(TINY_PNG)
    path = tmp_path / "images" / first
    os.utime(path, (clock.now - 50, clock.now - 50))  # written 50 s ago
    clock.now += 30
    second, second_expires = images.put(TINY_PNG)
    assert second == first
    assert [p.name for p in (tmp_path / "images").iterdir()] == [first]
    assert second_expires == first_expires + 30
    assert path.stat().st_mtime == clock.now  # refreshed: the sweeper keeps it for the new link
    assert images.sweep() == 0
    # Each link keeps its own expiry: the first one ends first.
    assert images.find(first, str(first_expires), images.signature(first, first_expires))
    clock.now = first_expires + 1
    assert images.find(first, str(first_expires), images.signature(first, first_expires)) is None
    assert images.find(second, str(second_expires), images.signature(second, second_expires))


def test_a_reused_file_takes_no_more_of_the_budget(tmp_path):
    images = ImageStore(tmp_path / "images", KEY, 60, Clock(time.time()), max_bytes=len(TINY_PNG))
    name, _ = images.put(TINY_PNG)
    for _ in range(3):
        assert images.put(TINY_PNG)[0] == name


def test_a_file_swept_before_its_reuse_is_written_again(tmp_path):
    images = store(tmp_path)
    name, _ = images.put(TINY_PNG)
    (tmp_path / "images" / name).unlink()
    assert images.put(TINY_PNG)[0] == name
    assert (tmp_path / "images" / name).read_bytes() == TINY_PNG


def test_link_carries_expiry_and_hmac_signature(tmp_path):
    images = store(tmp_path)
    link = images.link("https://gw.example/", "a" * 32 + ".png", 1_800_003_600)
    signature = images.signature("a" * 32 + ".png", 1_800_003_600)
    assert link == (
        f"https://gw.example/v1/images/files/{'a' * 32}.png"
        f"?expires=1800003600&signature={signature}"
    )
    assert len(signature) == 64
    # Another key signs differently: links cannot be minted without the key.
    other = ImageStore(tmp_path, b"o" * 32, 3600)
    assert other.signature("a" * 32 + ".png", 1_800_003_600) != signature


def test_find_accepts_only_a_valid_unexpired_signed_link(tmp_path):
    clock = Clock()
    images = store(tmp_path, clock)
    name, expires = images.put(TINY_PNG)
    good = images.signature(name, expires)
    assert images.find(name, str(expires), good) == tmp_path / "images" / name
    assert images.find(name, str(expires + 1), good) is None  # extended expiry
    assert images.find(name, str(expires), "0" * 64) is None
    assert images.find("../gateway.db", str(expires), good) is None
    assert images.find(name, "soon", good) is None
    clock.now = expires + 1
    assert images.find(name, str(expires), good) is None


def test_find_refuses_a_signed_link_whose_file_was_swept(tmp_path):
    images = store(tmp_path)
    name, expires = images.put(TINY_PNG)
    (tmp_path / "images" / name).unlink()
    assert images.find(name, str(expires), images.signature(name, expires)) is None


def test_sweep_deletes_only_files_older_than_the_ttl(tmp_path):
    clock = Clock()
    images = store(tmp_path, clock, ttl=60)
    old, _ = images.put(TINY_PNG)
    fresh, _ = images.put(OTHER_PNG)
    os.utime(tmp_path / "images" / old, (clock.now - 61, clock.now - 61))
    os.utime(tmp_path / "images" / fresh, (clock.now - 59, clock.now - 59))
    assert images.sweep() == 1
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == [fresh]


def test_sweep_of_a_missing_directory_is_a_no_op(tmp_path):
    assert store(tmp_path).sweep() == 0


@pytest.mark.parametrize(
    ("data", "ext"),
    [
        (TINY_PNG, "png"),
        (b"\xff\xd8\xff\xe0rest", "jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a...", "gif"),
        (b"<svg onload=alert(1)>", "bin"),
    ],
)
def test_sniff_trusts_magic_numbers_not_the_provider(data, ext):
    assert sniff(data) == ext


def test_key_file_is_created_once_0600_and_shared(tmp_path):
    first = load_key(tmp_path, None)
    assert len(first) == 64
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert load_key(tmp_path, None) == first
    assert load_key(tmp_path, "s" * 40) == b"s" * 40


def test_write_failure_is_a_clear_error_not_a_lost_image(tmp_path):
    (tmp_path / "images").write_text("not a directory")
    with pytest.raises(GatewayError) as info:
        store(tmp_path).put(TINY_PNG)
    assert info.value.code == "image_store_failed"
    assert info.value.status == 500


def test_a_full_store_refuses_with_507_after_trying_to_free_space(tmp_path):
    clock = Clock(time.time())
    one, two, three = (TINY_PNG + bytes([i]) for i in range(3))  # three images, one size
    images = ImageStore(tmp_path / "images", KEY, 60, clock, max_bytes=len(one) * 2)
    first, _ = images.put(one)
    images.put(two)
    with pytest.raises(GatewayError) as info:
        images.put(three)
    assert (info.value.status, info.value.code) == (507, "image_store_full")
    # Once the first file has expired, the sweep run by the refusal path frees it.
    os.utime(tmp_path / "images" / first, (clock.now - 61, clock.now - 61))
    assert images.put(three)[0] != first
    assert len(list((tmp_path / "images").iterdir())) == 2


def test_the_budget_counts_files_other_workers_wrote(tmp_path):
    images = ImageStore(
        tmp_path / "images", KEY, 60, Clock(time.time()), max_bytes=len(TINY_PNG) * 2
    )
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / ("b" * 32 + ".png")).write_bytes(TINY_PNG * 2)
    with pytest.raises(GatewayError):
        images.put(TINY_PNG)


def test_sweep_looks_at_every_file_however_many(tmp_path):
    clock = Clock(time.time())
    images = store(tmp_path, clock, ttl=60)
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(12_000):
        path = folder / f"{i:032x}.png"
        path.write_bytes(b"x")
        if i % 2:
            os.utime(path, (clock.now - 61, clock.now - 61))
    assert images.sweep() == 6_000


def test_the_sweeper_keeps_a_file_reused_after_it_listed_it(tmp_path, monkeypatch):
    clock = Clock()
    images = store(tmp_path, clock, ttl=60)
    name, _ = images.put(TINY_PNG)
    path = tmp_path / "images" / name
    os.utime(path, (clock.now - 61, clock.now - 61))
    delete = images.blobs._delete_if_stale

    def reused_meanwhile(found: str, cutoff: float) -> bool:
        images.put(TINY_PNG)  # another worker hands out a new link to the same file
        return delete(found, cutoff)

    monkeypatch.setattr(images.blobs, "_delete_if_stale", reused_meanwhile)
    assert images.sweep() == 0
    assert path.read_bytes() == TINY_PNG
