"""Reading a ``multipart/form-data`` body: text fields in memory, files through a Spooler.

Built on werkzeug's multipart decoder (``werkzeug.sansio.multipart``, the one its
``FormDataParser`` runs) with our own loop over its events instead of
``MultiPartParser.parse``: that loop knows which part is being read when the body
stops or overflows (so the error names the field), enforces the per-file and
per-field limits as bytes arrive, and leaves every file it opened to the Spooler,
which deletes them however the parse ends. No format knowledge here: images are
checked by ``uploads.images``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Event,
    File,
    MultipartDecoder,
    NeedData,
    Preamble,
    State,
)

from ..errors import InvalidRequest, UnsupportedContentType
from .errors import InvalidMultipart, TooManyParts, UploadTooLarge, UploadTruncated
from .models import UploadLimits
from .spool import Spool, Spooler

CHUNK = 64 * 1024
# The decoder's own buffer holds part headers and a possible partial boundary; a part
# header block longer than this is refused as malformed rather than buffered.
DECODER_BUFFER = 1024 * 1024
# RFC 2046 (5.1.1) caps a boundary at 70 characters, but clients overstep it (werkzeug's
# test client makes up to about 72); the cap only bounds the delimiter search.
MAX_BOUNDARY = 200


@dataclass
class Form:
    """Text fields (decoded, in the order sent) and finished file spools."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[Spool] = field(default_factory=list)


def boundary_of(content_type: str | None) -> bytes:
    """The boundary, or a 400 ``unsupported_content_type`` for another type (OpenAI's
    answer to a JSON body on its upload routes) or a multipart type without a usable
    boundary (``invalid_multipart``)."""
    mimetype, options = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data":
        sent = f"'{mimetype[:100]}'" if mimetype else "none"
        raise UnsupportedContentType(
            f"Unsupported content type: {sent}. This route takes only 'multipart/form-data' "
            "with a boundary (with curl, send each field with -F).",
            param="content-type",
        )
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > MAX_BOUNDARY or not boundary.isascii():
        raise InvalidMultipart(
            f"'Content-Type: multipart/form-data' needs a boundary of 1 to {MAX_BOUNDARY} "
            "ASCII characters.",
            param="content-type",
        )
    return boundary.encode("ascii")


def read_form(
    stream: BinaryIO,
    *,
    content_type: str | None,
    content_length: int | None,
    limits: UploadLimits,
    spooler: Spooler,
) -> Form:
    """Read the whole body; the caller owns ``spooler`` and deletes its files."""
    boundary = boundary_of(content_type)
    if content_length is not None and content_length > limits.max_body_bytes:
        raise UploadTooLarge(
            f"The body of {content_length} bytes is over the gateway's limit of "
            f"{limits.max_body_bytes} bytes.",
            param="content-length",
        )
    decoder = MultipartDecoder(boundary, max_form_memory_size=DECODER_BUFFER)
    parts = _Parts(limits, spooler)
    for chunk in _Reader(stream, limits.max_body_bytes, parts):
        try:
            decoder.receive_data(chunk)
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                parts.on(event)
                event = decoder.next_event()
        except ValueError:
            raise parts.malformed(decoder.state, ended=chunk is None) from None
        except RequestEntityTooLarge:  # the decoder's buffer: no boundary, endless headers
            raise InvalidMultipart(
                "The body is not valid multipart/form-data: 1 MiB without a boundary or "
                "the end of a part's headers.",
                param=None,  # the part at fault has not given its name yet
            ) from None
    return parts.form


class _Reader:
    """The body in chunks, then None (the decoder's end-of-data signal); counts bytes
    itself, since a chunked body has no Content-Length to check up front."""

    def __init__(self, stream: BinaryIO, limit: int, parts: _Parts) -> None:
        self.stream, self.limit, self.parts = stream, limit, parts
        self.total = 0
        self.done = self.over = False

    def __iter__(self) -> _Reader:
        return self

    def __next__(self) -> bytes | None:
        if self.over:
            raise self.too_large()
        if self.done:
            raise StopIteration
        try:
            data = self.stream.read(CHUNK)
        except ClientDisconnected:  # werkzeug: fewer bytes than Content-Length said
            raise self.parts.truncated() from None
        except RequestEntityTooLarge:  # werkzeug's own MAX_CONTENT_LENGTH, if set
            raise self.too_large() from None
        if not data:
            self.done = True
            return None
        self.total += len(data)
        if self.total > self.limit:
            # The decoder gets the bytes up to the limit first, so that the 413 names
            # the part the limit fell in; the next call raises.
            self.done = self.over = True
            return data[: len(data) - (self.total - self.limit)]
        return data

    def too_large(self) -> UploadTooLarge:
        return UploadTooLarge(
            f"The body is over the gateway's limit of {self.limit} bytes.",
            param=self.parts.where,
        )


class _Parts:
    """Routes the decoder's events: which part is open, how big, and where it goes."""

    def __init__(self, limits: UploadLimits, spooler: Spooler) -> None:
        self.limits = limits
        self.spooler = spooler
        self.form = Form()
        self.where: str | None = None  # the part being read, or the last one read
        self._count = 0
        self._seen: dict[str, int] = {}
        self._spool: Spool | None = None
        self._text: bytearray | None = None

    def on(self, event: Event) -> None:
        if isinstance(event, Data):
            self._data(event)
            return
        if isinstance(event, Preamble):  # text before the first boundary: ignored (RFC 2046)
            return
        name = getattr(event, "name", None)  # Field and File both carry it
        if not name:
            raise InvalidMultipart("A part of the form has no name.", param=None)
        if not _plain(name):
            # Not echoed, and never forwarded: a name like 'n"; x="' would read as
            # another field once written into the provider's form.
            raise InvalidMultipart(
                "A part's name has a quote, backslash or control character.", param=None
            )
        self._count += 1
        if self._count > self.limits.max_parts:
            raise TooManyParts(f"The form has more than {self.limits.max_parts} parts.", param=name)
        if isinstance(event, File):
            self.where = self._file_param(name)
            self._spool = self.spooler.spool(
                field=name,
                param=self.where,
                filename=event.filename,
                content_type=event.headers.get("content-type"),
            )
        else:
            self.where = name
            self._text = bytearray()

    def _file_param(self, name: str) -> str:
        """``image[]`` parts are ``image[0]``, ``image[1]``...; a repeated bare name
        is ``image``, then ``image[1]``..."""
        index = self._seen[name] = self._seen.get(name, -1) + 1
        if name.endswith("[]"):
            return f"{name[:-2]}[{index}]"
        return name if index == 0 else f"{name}[{index}]"

    def _data(self, event: Data) -> None:
        if self._spool is not None:
            self._spool.write(event.data)
            if not event.more_data:
                self._spool.finish()
                self.form.files.append(self._spool)
                self._spool = None
            return
        if self._text is None:  # the decoder emits Data only inside a part
            raise InvalidMultipart("Data outside a part.", param=self.where)
        self._text += event.data
        if len(self._text) > self.limits.max_field_bytes:
            raise UploadTooLarge(
                f"The field '{self.where}' is over the gateway's limit of "
                f"{self.limits.max_field_bytes} bytes.",
                param=self.where,
            )
        if not event.more_data:
            self.form.fields.append((str(self.where), self._decode(self._text)))
            self._text = None

    def _decode(self, raw: bytearray) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(
                f"The field '{self.where}' is not UTF-8 text.", param=self.where
            ) from None

    def truncated(self) -> UploadTruncated:
        return UploadTruncated(
            f"The body ended inside '{self.where}', before the form's closing boundary."
            if self.where
            else "The body ended before the form's closing boundary.",
            param=self.where,
        )

    def malformed(self, state: State, *, ended: bool) -> InvalidRequest:
        if state is State.PREAMBLE:
            return InvalidMultipart(
                "The body holds no part delimited by the boundary declared in Content-Type.",
                param="content-type",
            )
        if ended:
            return self.truncated()
        # The part at fault has no name to give: it lacks the header that carries it.
        return InvalidMultipart("A part of the form has no Content-Disposition header.", param=None)


def _plain(name: str) -> bool:
    return name.isprintable() and '"' not in name and "\\" not in name
