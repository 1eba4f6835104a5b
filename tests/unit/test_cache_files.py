"""The cache's stored form: base64 text named by its SHA-256, checked when read back."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gateway.cache import files
from tests.e2e.fakes import TINY_PNG, TINY_PNG_B64

TEXT = TINY_PNG_B64.encode()


def stored(tmp_path, text: bytes = TEXT) -> str:
    name = files.text_name(text)
    files.publish(tmp_path, name, text)
    return name


def test_the_name_is_the_sha256_of_the_text():
    assert files.text_name(TEXT) == hashlib.sha256(TEXT).hexdigest() + ".b64"


def test_text_is_read_back_byte_identical(tmp_path):
    name = stored(tmp_path)
    assert files.read_text(tmp_path, name) == TEXT
    assert (tmp_path / name).read_bytes() == TEXT  # on disk as it is served


def test_publishing_the_same_text_again_keeps_one_file(tmp_path):
    name = stored(tmp_path)
    stored(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


@pytest.mark.parametrize(
    "altered",
    [TEXT[:-4], TEXT[:10] + b'"' + TEXT[11:], TEXT + b"\n", b"", TEXT.replace(b"i", b"j", 1)],
)
def test_a_file_that_no_longer_matches_its_name_is_never_served_and_goes(tmp_path, altered):
    name = stored(tmp_path)
    (tmp_path / name).write_bytes(altered)
    with pytest.raises(files.CorruptFile):
        files.read_text(tmp_path, name)
    assert not (tmp_path / name).exists()  # the next store of this image writes it again
    assert stored(tmp_path) == name
    assert files.read_text(tmp_path, name) == TEXT


def test_a_raw_image_of_an_older_entry_is_encoded(tmp_path):
    name = hashlib.sha256(TINY_PNG).hexdigest() + ".png"
    (tmp_path / name).write_bytes(TINY_PNG)
    assert files.read_text(tmp_path, name) == base64.b64encode(TINY_PNG)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.read_text(tmp_path, files.text_name(TEXT))
    assert not files.present(tmp_path, files.text_name(TEXT))
    assert files.present(tmp_path, stored(tmp_path))
