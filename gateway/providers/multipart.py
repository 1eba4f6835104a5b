"""``multipart/form-data`` bodies for providers that want forms. Pure: no IO.

The boundary is derived from the content, so the same request always gives the
same bytes (golden tests, cache keys) and can never occur inside the content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from ..models import StreamedBody, Upload


def encode(fields: Iterable[tuple[str, str]]) -> tuple[bytes, str]:
    """``(body, content type)`` for text fields, in the given order."""
    pairs = [(name, value.encode("utf-8")) for name, value in fields]
    digest = hashlib.sha256(b"\0".join(n.encode() + b"=" + v for n, v in pairs)).hexdigest()
    boundary = f"gateway-{digest[:32]}"
    marker = boundary.encode()
    parts = []
    for name, value in pairs:
        if marker in value:  # practically impossible: the boundary hashes the content
            raise ValueError("multipart boundary collision")
        parts.append(
            b"--"
            + marker
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{quoted(name)}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    body = b"".join(parts) + b"--" + marker + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def encode_files(
    fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, Upload | bytes, str, str]]
) -> tuple[StreamedBody, str]:
    """``(body, content type)`` for text fields, then files ``(name, file, filename,
    content type)``: an ``Upload`` is streamed from its spool file when sent, never read
    here, and bytes (a converted mask) are sent as they are.

    The boundary hashes the text and each file's SHA-256, so it is as stable as
    ``encode``'s; a file that happened to contain it is practically impossible.
    """
    pairs = [(name, value.encode("utf-8")) for name, value in fields]
    listed = list(files)
    digest = hashlib.sha256(b"\0".join(n.encode() + b"=" + v for n, v in pairs))
    for name, file, filename, _ in listed:
        sha = file.sha256 if isinstance(file, Upload) else hashlib.sha256(file).hexdigest()
        digest.update(f"\0{name}={filename}:{sha}".encode())
    marker = f"gateway-{digest.hexdigest()[:32]}".encode()
    pieces: list[bytes | Upload] = []
    for name, value in pairs:
        if marker in value:
            raise ValueError("multipart boundary collision")
        pieces.append(_head(marker, name) + b"\r\n" + value + b"\r\n")
    for name, file, filename, content_type in listed:
        head = _head(marker, name, f'; filename="{quoted(filename)}"')
        pieces.append(head + f"Content-Type: {content_type}\r\n\r\n".encode())
        pieces.append(file)
        pieces.append(b"\r\n")
    pieces.append(b"--" + marker + b"--\r\n")
    return StreamedBody(tuple(_joined(pieces))), f"multipart/form-data; boundary={marker.decode()}"


def _head(marker: bytes, name: str, extra: str = "") -> bytes:
    disposition = f'Content-Disposition: form-data; name="{quoted(name)}"{extra}\r\n'
    return b"--" + marker + b"\r\n" + disposition.encode()


_ESCAPES = str.maketrans({'"': "%22", "\r": "%0D", "\n": "%0A"})


def quoted(value: str) -> str:
    """A field or file name as browsers write it inside ``name="..."`` (the HTML
    standard's form encoding): a quote or line break cannot end the value or start a
    header, whatever a caller's form or a provider option contains."""
    return value.translate(_ESCAPES)


def _joined(pieces: list[bytes | Upload]) -> Iterator[bytes | Upload]:
    """Adjacent byte pieces as one: fewer, larger writes to the socket."""
    run: list[bytes] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            run.append(piece)
            continue
        if run:
            yield b"".join(run)
            run = []
        yield piece
    if run:
        yield b"".join(run)
