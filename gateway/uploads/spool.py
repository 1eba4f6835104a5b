"""Where uploaded files go while a request is served: memory up to a small threshold, then
a temporary file in the spool directory. Hashes and counts the bytes as they arrive.

One ``Spooler`` per request owns every file it made and deletes them all when the
request ends, also when reading the form failed half way (``with Spooler(...)``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .errors import UploadTooLarge

PREFIX = "gw-upload-"


class Spool:
    """One file part being received: SHA-256 and size are computed while it is written
    (never by reading it again), and the per-file limit is enforced on every write."""

    def __init__(
        self,
        owner: Spooler,
        *,
        field: str,
        param: str,
        filename: str | None,
        content_type: str | None,
    ) -> None:
        self.field = field  # the part's name as sent: "image", "image[]", "mask"
        self.param = param  # how errors name it: "image", "image[2]", "mask"
        self.filename = filename  # as declared: never trusted
        self.content_type = content_type  # as declared: never trusted
        self.size = 0
        self.path: Path | None = None
        self.data: bytes | None = None  # set by finish() for a file that stayed in memory
        self.sha256 = ""  # set by finish()
        self._owner = owner
        self._hash = hashlib.sha256()
        self._memory = bytearray()
        self._file: BinaryIO | None = None

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self._owner.max_file_bytes:
            raise UploadTooLarge(
                f"The file in '{self.param}' is over the gateway's limit of "
                f"{self._owner.max_file_bytes} bytes.",
                param=self.param,
            )
        self.size += len(data)
        self._hash.update(data)
        file = self._file
        if file is None:
            if self.size <= self._owner.memory_threshold:
                self._memory += data
                return
            file = self._roll_over()
        file.write(data)

    def _roll_over(self) -> BinaryIO:
        """Past the threshold: the bytes held so far go to a new file, memory is freed."""
        self.path, file = self._owner.new_file()
        self._file = file
        file.write(self._memory)
        self._memory = bytearray()
        return file

    def finish(self) -> None:
        self.sha256 = self._hash.hexdigest()
        if self._file is None:
            self.data = bytes(self._memory)
        else:
            self._file.close()
            self._file = None
        self._memory = bytearray()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._memory = bytearray()


class Spooler:
    """Makes the spools of one request and deletes every file it made on ``cleanup()``."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None,
        *,
        memory_threshold: int,
        max_file_bytes: int,
    ) -> None:
        self.directory = None if directory is None else os.fspath(directory)
        self.memory_threshold = memory_threshold
        self.max_file_bytes = max_file_bytes
        self._spools: list[Spool] = []
        self._paths: list[str] = []

    def spool(
        self, *, field: str, param: str, filename: str | None, content_type: str | None
    ) -> Spool:
        spool = Spool(self, field=field, param=param, filename=filename, content_type=content_type)
        self._spools.append(spool)
        return spool

    def new_file(self) -> tuple[Path, BinaryIO]:
        # mkstemp: mode 0600, O_EXCL; the path is recorded before a byte is written.
        fd, path = tempfile.mkstemp(prefix=PREFIX, suffix=".part", dir=self.directory)
        self._paths.append(path)
        return Path(path), os.fdopen(fd, "wb")

    def cleanup(self) -> None:
        for spool in self._spools:
            spool.close()
        for path in self._paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self._spools.clear()
        self._paths.clear()

    def __enter__(self) -> Spooler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


STALE_AFTER_S = 3600.0  # far beyond any request: an upload's file is written as it arrives


def sweep_stale(
    directory: str | os.PathLike[str], now: float, older_than: float = STALE_AFTER_S
) -> int:
    """Delete spool files left by a worker that was killed mid-request (SIGKILL, OOM):
    ``cleanup()`` never ran for them. Only this module's names, and only files untouched
    for ``older_than`` seconds, so another instance sharing the directory loses nothing
    it is still using. Returns how many were deleted."""
    removed = 0
    with contextlib.suppress(FileNotFoundError), os.scandir(directory) as entries:
        for entry in entries:
            if not (entry.name.startswith(PREFIX) and entry.name.endswith(".part")):
                continue
            with contextlib.suppress(OSError):  # gone already, or not ours to delete
                if entry.is_file(follow_symlinks=False) and (
                    now - entry.stat(follow_symlinks=False).st_mtime > older_than
                ):
                    os.unlink(entry.path)
                    removed += 1
    return removed
