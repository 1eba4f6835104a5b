"""Where the cache keeps its images' base64 text: files (SQLite) or shared blobs (PostgreSQL).

:class:`FileTexts` is the embedded default and the cache's files exactly as before
(``files``: content-addressed, checked against their name when read). With PostgreSQL,
an instance's files would be invisible to the others, so :class:`DatabaseTexts` keeps
the text in the ``blobs`` table (kind ``cache``, ``gateway.store.blobs``), where a hit
on any instance finds what another one stored.

Both follow one protocol: ``stage`` before the write transaction (the bytes written
outside the writers' lock), ``ensure`` inside it (anything a concurrent eviction removed
is written again), ``drop`` inside it once no row refers to a name. So a committed row
never names missing text, on either engine.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..store.blobs import DatabaseBlobs
from . import files
from .files import TEXT, CorruptFile

__all__ = ["CorruptFile", "DatabaseTexts", "FileTexts", "Texts"]


class Texts(Protocol):
    def stage(self, named: dict[str, bytes], expires_at: float) -> None:
        """Store the texts ahead of the write transaction."""

    def ensure(self, conn: Any, named: dict[str, bytes], expires_at: float) -> None:
        """Inside the write transaction: store again any text removed since ``stage``."""

    def read(self, name: str) -> bytes:
        """The checked text; ``OSError`` when it is gone, ``CorruptFile`` (deleted) when
        it does not match its name."""

    def read_all(self, names: list[str]) -> list[bytes]:
        """The checked texts of an entry, in order (same errors as ``read``)."""

    def present(self, names: list[str]) -> bool:
        """Whether every text is stored (a ``url`` hit does not read them)."""

    def drop(self, conn: Any, names: Iterable[str]) -> None:
        """Inside the write transaction: delete texts no row refers to any more."""

    def purge(self, conn: Any, used: set[str]) -> None:
        """Inside the write transaction: delete every text not in ``used``."""

    def clear(self, conn: Any) -> None:
        """Inside the write transaction: delete every text."""

    def usage(self) -> tuple[int, int]:
        """How many texts are stored, and their bytes."""


class FileTexts:
    """``<data dir>/cache/<sha256>.b64`` files, shared by the workers of one machine."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def stage(self, named: dict[str, bytes], expires_at: float) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ensure(None, named, expires_at)

    def ensure(self, conn: Any, named: dict[str, bytes], expires_at: float) -> None:
        for name, text in named.items():  # an eviction may have run since
            files.publish(self.directory, name, text)

    def read(self, name: str) -> bytes:
        return files.read_text(self.directory, name)

    def read_all(self, names: list[str]) -> list[bytes]:
        return [files.read_text(self.directory, name) for name in names]

    def present(self, names: list[str]) -> bool:
        return all(files.present(self.directory, name) for name in names)

    def drop(self, conn: Any, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).unlink()

    def purge(self, conn: Any, used: set[str]) -> None:
        # Stray temporary files (a writer that died mid-write) go too.
        with contextlib.suppress(FileNotFoundError), os.scandir(self.directory) as found:
            for item in found:
                if item.is_file() and item.name not in used:
                    os.unlink(item.path)

    def clear(self, conn: Any) -> None:
        self.purge(conn, set())

    def usage(self) -> tuple[int, int]:
        count = size = 0
        with contextlib.suppress(FileNotFoundError), os.scandir(self.directory) as found:
            for item in found:
                if item.is_file() and not item.name.startswith("."):
                    count += 1
                    size += item.stat().st_size
        return count, size


class DatabaseTexts:
    """Rows of the ``blobs`` table (kind ``cache``), shared by every instance.

    A text is kept at least as long as the longest-lived entry naming it (each store
    moves its ``expires_at`` forward), though the index, not the expiry, decides when it
    goes: eviction drops it with its last entry, a purge drops what no entry names."""

    def __init__(self, blobs: DatabaseBlobs) -> None:
        self.blobs = blobs

    def stage(self, named: dict[str, bytes], expires_at: float) -> None:
        self.ensure(None, named, expires_at)  # no connection: each write its own transaction

    def ensure(self, conn: Any, named: dict[str, bytes], expires_at: float) -> None:
        stored = self.blobs.extend_many(named, expires_at, connection=conn)
        for name, text in named.items():
            if name not in stored:
                self.blobs.put(name, text, expires_at, connection=conn)

    def read(self, name: str) -> bytes:
        return self.read_all([name])[0]

    def read_all(self, names: list[str]) -> list[bytes]:
        found = self.blobs.get_many(names)
        texts = []
        for name in names:
            data = found.get(name)
            if data is None:
                raise FileNotFoundError(name)  # dropped behind the index's back: a miss
            texts.append(self._checked(name, data))
        return texts

    def _checked(self, name: str, data: bytes) -> bytes:
        if not name.endswith(TEXT):  # never written by this store; as files.read_text does
            return base64.b64encode(data)
        if hashlib.sha256(data).hexdigest() != name[: -len(TEXT)]:
            self.blobs.delete(name)  # content-addressed: a wrong row is garbage
            raise CorruptFile(name)
        return data

    def present(self, names: list[str]) -> bool:
        return self.blobs.present(names) == set(names)

    def drop(self, conn: Any, names: Iterable[str]) -> None:
        self.blobs.delete_many(names, connection=conn)

    def purge(self, conn: Any, used: set[str]) -> None:
        self.blobs.delete_many(self.blobs.names(connection=conn) - used, connection=conn)

    def clear(self, conn: Any) -> None:
        self.blobs.clear(connection=conn)

    def usage(self) -> tuple[int, int]:
        return self.blobs.count_and_bytes()
