"""Streamed bodies: what the transport sends is the body's bytes, files read in turn."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from gateway.models import ProviderCall, StreamedBody, Upload
from gateway.outbound.body_reader import BodyReader
from gateway.outbound.transport import Transport


def upload(data: bytes, tmp_path=None) -> Upload:
    path = None
    if tmp_path is not None:
        path = tmp_path / hashlib.sha256(data).hexdigest()[:8]
        path.write_bytes(data)
    return Upload(
        param="image",
        format="png",
        width=1,
        height=1,
        has_alpha=False,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        path=path,
        data=None if path else data,
    )


def test_reader_gives_every_piece_in_order_in_bounded_reads(tmp_path):
    on_disk = upload(b"D" * 700_000, tmp_path)
    body = StreamedBody((b"head-", upload(b"memory"), b"-mid-", on_disk, b"-tail"))
    reader = BodyReader(body)
    assert len(reader) == 5 + 6 + 5 + 700_000 + 5
    chunks = []
    while chunk := reader.read(65536):
        assert len(chunk) <= 65536
        chunks.append(chunk)
    assert b"".join(chunks) == b"head-memory-mid-" + b"D" * 700_000 + b"-tail"
    assert b"".join(chunks) == body.to_bytes()
    assert reader.read(10) == b""


def test_close_midway_closes_the_open_file(tmp_path):
    reader = BodyReader(StreamedBody((upload(b"x" * 1000, tmp_path),)))
    assert reader.read(10) == b"x" * 10
    reader.close()
    assert reader._file is None


class _Echo(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        _Echo.received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


def test_transport_streams_a_body_with_its_content_length(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        big = upload(bytes(range(256)) * 8000, tmp_path)
        body = StreamedBody((b"--b\r\n", big, b"\r\n--b--\r\n"))
        url = f"http://127.0.0.1:{server.server_port}/edits"
        call = ProviderCall("POST", url, {"Content-Type": "multipart/form-data"}, body)
        reply = Transport(1 << 20).send(call, 5.0, 10.0)
        assert reply.status == 200
        headers, received = _Echo.received[-1]
        assert headers["Content-Length"] == str(len(body))
        assert "Transfer-Encoding" not in headers
        assert received == body.to_bytes()
        # The same call again (a retry) sends the same bytes: files are reopened.
        Transport(1 << 20).send(call, 5.0, 10.0)
        assert _Echo.received[-1][1] == received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
