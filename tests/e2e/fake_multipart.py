"""A small ``multipart/form-data`` reader for the fake providers. Stdlib only.

The fakes must check an upload the way the real APIs do (which parts are files, their
declared content types, what the bytes really are) and record what arrived, so a test
can prove the gateway sent every byte unchanged (``FilePart.sha256``). werkzeug would
do, but the fakes run as a stdlib-only process too (``python -m tests.e2e.fake_provider``).

Usage::

    form = parse(req.headers.get("content-type", ""), req.body)   # MultipartError if bad
    form.get("prompt"); form.file("mask"); form.files_named("image[]")
    form.described()   # JSON-able record: fields, and per file name/filename/type/size/sha256
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_PARAM = re.compile(r';\s*([A-Za-z*]+)="((?:[^"\\]|\\.)*)"')
# What the bytes are, whatever the part's header claims.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
)


class MultipartError(ValueError):
    """The body is not a well-formed multipart form (the message says why)."""


def sniff(data: bytes) -> str | None:
    """``png``, ``jpeg``, ``webp`` or ``gif`` from the first bytes; None otherwise."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str | None  # as declared by the sender
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def format(self) -> str | None:
        return sniff(self.data)

    def described(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
        }


@dataclass(frozen=True)
class Form:
    fields: list[tuple[str, str]]  # text parts, in the order sent
    files: list[FilePart]  # file parts (a filename was given), in the order sent
    order: list[str]  # every part's name, in the order sent

    def get(self, name: str) -> str | None:
        """The first text field ``name``; None when absent."""
        return next((v for n, v in self.fields if n == name), None)

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.fields)

    def files_named(self, *names: str) -> list[FilePart]:
        return [f for f in self.files if f.name in names]

    def file(self, name: str) -> FilePart | None:
        found = self.files_named(name)
        return found[0] if found else None

    def described(self) -> dict[str, Any]:
        """What a fake records: the text fields and a description of each file."""
        return {
            "fields": [list(pair) for pair in self.fields],
            "files": [f.described() for f in self.files],
            "order": list(self.order),
        }


def boundary_of(content_type: str) -> str:
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise MultipartError(f"Content-Type is {content_type!r}, not multipart/form-data.")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise MultipartError("The multipart Content-Type has no boundary.")
    return match.group(1) or match.group(2)


def parse(content_type: str, body: bytes) -> Form:
    """The parts of ``body``; raises ``MultipartError`` on any malformation."""
    marker = b"--" + boundary_of(content_type).encode("latin-1")
    if not body.startswith(marker):
        raise MultipartError("The body does not start with the boundary.")
    closing = body.find(marker + b"--")
    if closing < 0:
        raise MultipartError("The body has no closing boundary.")
    if body[closing - 2 : closing] != b"\r\n":
        raise MultipartError("The closing boundary does not follow a CRLF.")
    chunks = body[len(marker) : closing - 2].split(b"\r\n" + marker)
    form = Form([], [], [])
    for chunk in chunks:
        _add_part(form, chunk)
    return form


def _add_part(form: Form, chunk: bytes) -> None:
    if not chunk.startswith(b"\r\n"):
        raise MultipartError("A boundary is not followed by CRLF.")
    head, sep, data = chunk[2:].partition(b"\r\n\r\n")
    if not sep:
        raise MultipartError("A part has no blank line after its headers.")
    headers = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        key, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"Bad part header line {line!r}.")
        headers[key.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    if not disposition.lower().startswith("form-data"):
        raise MultipartError("A part has no 'Content-Disposition: form-data'.")
    params = {k.lower(): v for k, v in _PARAM.findall(disposition)}
    name = params.get("name")
    if name is None:
        raise MultipartError("A part has no name.")
    form.order.append(name)
    if "filename" in params:
        form.files.append(FilePart(name, params["filename"], headers.get("content-type"), data))
    else:
        form.fields.append((name, data.decode("utf-8")))
