"""Large files go to disk while the form is read, small ones stay in memory, and no
temporary file outlives the request, whether it passed or was refused."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from gateway.errors import GatewayError
from gateway.uploads import UploadLimits, read_edit
from gateway.uploads.spool import PREFIX, STALE_AFTER_S, Spooler, sweep_stale

from .bodies import BOUNDARY, CONTENT_TYPE, body, edit, file, image, text

MIB = 1024 * 1024


class WatchedFile:
    """Reads a body from disk in the parser's chunks and lists the spool directory once
    ``at`` bytes have been read: what existed there while the form was being parsed."""

    def __init__(self, path: Path, spool_dir: Path, at: int) -> None:
        self.fh = path.open("rb")
        self.spool_dir, self.at = spool_dir, at
        self.read_so_far = 0
        self.seen: list[str] | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.read_so_far += len(data)
        if self.seen is None and self.read_so_far >= self.at:
            self.seen = sorted(os.listdir(self.spool_dir))
        return data


@pytest.fixture
def big_png(tmp_path):
    """A 20 MB PNG (2600x2600 RGB, stored without compression), written to disk so that
    the test itself never holds it in memory, and the multipart body around it."""
    picture = tmp_path / "big.png"
    Image.new("RGB", (2600, 2600), (10, 200, 30)).save(picture, "PNG", compress_level=0)
    size = picture.stat().st_size
    assert size > 20 * 1000 * 1000
    raw = tmp_path / "body.bin"
    with raw.open("wb") as out, picture.open("rb") as src:
        out.write(text("model", "gpt-image-1") + text("prompt", "make it pop"))
        out.write(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f'name="image"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        )
        digest = hashlib.sha256()
        while chunk := src.read(MIB):
            digest.update(chunk)
            out.write(chunk)
        out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return raw, size, digest.hexdigest()


def test_a_20_mb_upload_is_spooled_to_disk_and_deleted_afterwards(tmp_path, big_png):
    raw, size, sha256 = big_png
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    stream = WatchedFile(raw, spool_dir, at=10 * MIB)
    tracemalloc.start()
    try:
        with read_edit(
            stream,  # type: ignore[arg-type]
            content_type=CONTENT_TYPE,
            content_length=raw.stat().st_size,
            limits=UploadLimits(),
            spool_dir=spool_dir,
        ) as request:
            _, peak = tracemalloc.get_traced_memory()
            upload = request.images[0]
            assert stream.seen is not None
            assert len(stream.seen) == 1
            assert stream.seen[0].startswith(PREFIX)
            assert upload.path == spool_dir / stream.seen[0]
            assert upload.data is None
            assert (upload.size, upload.sha256) == (size, sha256)
            assert upload.path.stat().st_size == size
            assert (upload.format, upload.width, upload.height) == ("png", 2600, 2600)
    finally:
        tracemalloc.stop()
    # Python never held the file: the peak is the 512 KiB threshold, chunks and Pillow's
    # 64 KiB PNG chunks, nowhere near 20 MB.
    assert peak < 4 * MIB
    assert os.listdir(spool_dir) == []


def test_a_small_upload_stays_in_memory_and_writes_no_file(tmp_path):
    picture = image(size=(16, 16))
    with edit(body(text("prompt", "p"), file("image", picture)), spool_dir=tmp_path) as request:
        assert (request.images[0].path, request.images[0].data) == (None, picture)
        assert os.listdir(tmp_path) == []


def test_spooled_files_are_deleted_when_a_later_part_is_refused(tmp_path):
    spooled = image("PNG", (64, 64), "RGB", compress_level=0)
    raw = body(text("prompt", "p"), file("image[]", spooled), file("image[]", b"GIF89a..."))
    limits = UploadLimits(memory_threshold=1024)
    with pytest.raises(GatewayError) as caught, edit(raw, limits, spool_dir=tmp_path):
        pass
    assert (caught.value.code, caught.value.param) == ("invalid_image", "image[1]")
    assert os.listdir(tmp_path) == []


def test_spooled_files_are_deleted_when_the_body_is_truncated(tmp_path):
    spooled = image("PNG", (64, 64), "RGB", compress_level=0)
    raw = body(text("prompt", "p"), file("image[]", spooled), file("image[]", spooled), end=False)
    limits = UploadLimits(memory_threshold=1024)
    with pytest.raises(GatewayError) as caught, edit(raw[:-100], limits, spool_dir=tmp_path):
        pass
    assert (caught.value.code, caught.value.param) == ("upload_truncated", "image[1]")
    assert os.listdir(tmp_path) == []


def test_spooled_files_are_deleted_when_the_with_block_raises(tmp_path):
    spooled = image("PNG", (64, 64), "RGB", compress_level=0)
    limits = UploadLimits(memory_threshold=1024)
    seen = []

    def serve():
        raw = body(text("prompt", "p"), file("image", spooled))
        with edit(raw, limits, spool_dir=tmp_path) as request:
            seen.append(request.images[0].path.exists())
            raise RuntimeError("the pipeline failed")

    with pytest.raises(RuntimeError, match="the pipeline failed"):
        serve()
    assert seen == [True]
    assert os.listdir(tmp_path) == []


def test_spool_hashes_and_counts_while_writing_and_rolls_over_at_the_threshold(tmp_path):
    with Spooler(tmp_path, memory_threshold=10, max_file_bytes=100) as spooler:
        spool = spooler.spool(field="image", param="image", filename=None, content_type=None)
        spool.write(b"0123456789")
        assert (spool.path, os.listdir(tmp_path)) == (None, [])
        spool.write(b"abc")
        assert spool.path is not None
        assert spool.path.parent == tmp_path
        spool.finish()
        assert spool.path.read_bytes() == b"0123456789abc"
        assert (spool.size, spool.data) == (13, None)
        assert spool.sha256 == hashlib.sha256(b"0123456789abc").hexdigest()
        assert spool.path.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == []


def test_stale_spool_files_of_a_killed_worker_are_swept_and_nothing_else(tmp_path):

    now = 1_800_000_000.0
    stale = tmp_path / f"{PREFIX}abc.part"
    fresh = tmp_path / f"{PREFIX}def.part"
    foreign = tmp_path / "notes.part"
    old_but_not_ours = tmp_path / f"{PREFIX}ghi.png"
    for path in (stale, fresh, foreign, old_but_not_ours):
        path.write_bytes(b"x")
    old = now - STALE_AFTER_S - 1
    for path in (stale, foreign, old_but_not_ours):
        os.utime(path, (old, old))
    os.utime(fresh, (now - 60, now - 60))

    assert sweep_stale(tmp_path, now) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, foreign.name, old_but_not_ours.name]
    )
    assert sweep_stale(tmp_path / "missing", now) == 0
