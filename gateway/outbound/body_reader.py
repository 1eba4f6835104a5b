"""A ``StreamedBody`` as the file object requests sends from: pieces read in turn.

requests streams a body that has ``__iter__`` and sets ``Content-Length`` from its
``__len__``; urllib3 then calls ``read(blocksize)`` until it gets ``b""``. Input files
are opened one at a time, when their turn comes, and closed when read (or when the
send ends early: ``close``), so a 16-file edit holds one descriptor and no file's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ..models import StreamedBody, Upload

BLOCK = 256 * 1024


class BodyReader:
    def __init__(self, body: StreamedBody) -> None:
        self._pieces = iter(body.pieces)
        self._length = len(body)
        self._file: BinaryIO | None = None
        self._pending = b""

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for -1); ``b""`` at the end."""
        want = BLOCK if size is None or size < 0 else size
        while True:
            if self._pending:
                chunk, self._pending = self._pending[:want], self._pending[want:]
                return chunk
            if self._file is not None:
                chunk = self._file.read(want)
                if chunk:
                    return chunk
                self._file.close()
                self._file = None
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            if isinstance(piece, Upload):
                self._file = piece.open()
            else:
                self._pending = piece

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(BLOCK):
            yield chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
