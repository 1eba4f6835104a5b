"""Bad uploads against the real gateway under gunicorn, with OpenAI on the recording fake:
each gets its 4xx in OpenAI's shape naming the field, nothing reaches the provider, the
refusal is in the request log, and the instance serves the next edit as before.

Some of these cannot be made with a test client: a body cut short on the socket, a
chunked body with no length, a body far over the limit that the client keeps sending.
The limits are lowered (2 MiB a form, 1 MiB a file) so the oversized cases stay small.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from tests.unit.uploads.bodies import BOUNDARY, CONTENT_TYPE, body, file, image, png_header, text

pytestmark = pytest.mark.e2e

KEY = "sk-test-bad-uploads-0123456789abcdef"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def gateway(start_gateway):
    return start_gateway(
        GATEWAY_UPLOAD_MAX_BYTES=str(2 * MIB), GATEWAY_UPLOAD_MAX_FILE_BYTES=str(MIB)
    )


def headers(trace: str, content_type: str = CONTENT_TYPE) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-provider": "openai",
        "x-portkey-trace-id": trace,
        "Content-Type": content_type,
    }


def refused(gateway, http, raw: bytes, content_type: str = CONTENT_TYPE, path="edits"):
    """POST ``raw``; the status and error, after checking the shape, the log and the fake."""
    trace = f"bad-upload-{uuid.uuid4().hex[:12]}"
    res = http.post(
        gateway.url(f"/v1/images/{path}"), data=raw, headers=headers(trace, content_type)
    )
    error = res.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert res.headers["Content-Type"] == "application/json"
    [row] = gateway.log_rows(trace)
    assert row["status"] == res.status_code
    assert row["error_code"] == error["code"]
    return res.status_code, error


def raw_exchange(gateway, head: bytes, payload: bytes, shut_write: bool = False) -> bytes:
    """Send ``head`` + ``payload`` on a bare socket and read the whole answer."""
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as sock:
        sock.sendall(head + payload)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request_head(gateway, trace: str, length: int | None) -> bytes:
    lines = [
        "POST /v1/images/edits HTTP/1.1",
        f"Host: 127.0.0.1:{gateway.port}",
        f"Authorization: Bearer {KEY}",
        "x-portkey-provider: openai",
        f"x-portkey-trace-id: {trace}",
        f"Content-Type: {CONTENT_TYPE}",
        "Connection: close",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture(autouse=True)
def _nothing_sent_and_still_serving(gateway, http, fake_provider):
    yield
    assert fake_provider.requests == []  # every refusal came before any provider call
    good = body(text("model", "gpt-image-1"), text("prompt", "p"), file("image", image()))
    res = http.post(gateway.url("/v1/images/edits"), data=good, headers=headers("after-a-bad-one"))
    assert res.status_code == 200, res.text
    assert len(fake_provider.requests) == 1
    fake_provider.clear()


def test_malformed_multipart(gateway, http):
    status, error = refused(gateway, http, b"this is not a form at all")
    assert (status, error["code"], error["param"]) == (400, "invalid_multipart", "content-type")


def test_a_part_without_a_name(gateway, http):
    nameless = f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n".encode()
    status, error = refused(gateway, http, body(nameless))
    assert (status, error["code"]) == (400, "invalid_multipart")
    assert error["message"] == "A part of the form has no name."


def test_a_truncated_image(gateway, http):
    cut = image(size=(256, 256))[:-40]
    status, error = refused(gateway, http, body(text("prompt", "p"), file("image", cut)))
    assert (status, error["param"]) == (400, "image")


def test_an_image_bomb(gateway, http):
    bomb = png_header(100_000, 100_000)
    status, error = refused(gateway, http, body(text("prompt", "p"), file("image", bomb)))
    assert (status, error["param"]) == (400, "image")
    assert error["message"].startswith("The image in 'image' declares too many pixels")


def test_a_file_that_is_not_an_image_whatever_its_name_says(gateway, http):
    gif = image("GIF", mode="P")
    raw = body(text("prompt", "p"), file("image", gif, "photo.png", "image/png"))
    status, error = refused(gateway, http, raw, path="edits")
    assert (status, error["code"], error["param"]) == (400, "invalid_image", "image")
    assert error["message"] == "The file in 'image' is not a PNG, JPEG or WEBP image."


def test_a_wrong_content_type(gateway, http):
    status, error = refused(gateway, http, b'{"prompt": "p"}', "application/json")
    assert (status, error["code"], error["param"]) == (
        400,
        "unsupported_content_type",
        "content-type",
    )
    assert "'application/json'" in error["message"]


def test_a_variation_without_an_image(gateway, http):
    status, error = refused(gateway, http, body(text("n", "1")), path="variations")
    assert (status, error["param"]) == (400, "image")


def test_a_file_over_the_file_limit_is_413(gateway, http):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (MIB + 10)
    status, error = refused(gateway, http, body(text("prompt", "p"), file("image", big)))
    assert (status, error["code"], error["param"]) == (413, "upload_too_large", "image")


def test_a_form_over_the_body_limit_is_413_before_it_is_read(gateway, http):
    parts = [file(f"image[{i}]", b"\0" * (MIB - 1024)) for i in range(3)]
    status, error = refused(gateway, http, body(text("prompt", "p"), *parts))
    assert (status, error["code"]) == (413, "upload_too_large")


def test_a_body_cut_short_on_the_socket(gateway):
    """Content-Length promises more than is sent, then the client stops writing."""
    trace = f"cut-{uuid.uuid4().hex[:12]}"
    raw = body(text("prompt", "p"), file("image", image(size=(256, 256))))
    answer = raw_exchange(gateway, request_head(gateway, trace, len(raw)), raw[:-500], True)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.upper() == b"HTTP/1.1 400 BAD REQUEST", answer[:300]
    assert b'"param":"image","code":"upload_truncated"' in answer
    [row] = gateway.log_rows(trace)
    assert (row["status"], row["error_code"]) == (400, "upload_truncated")


def test_a_chunked_body_over_the_limit_is_413_as_it_arrives(gateway):
    """No Content-Length to refuse early: the reader counts what arrives."""
    trace = f"chunked-{uuid.uuid4().hex[:12]}"
    head = (
        body(text("prompt", "p"), end=False)
        + (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; '
            'filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
    )
    piece = b"\0" * 65536
    pieces = [head] + [piece] * (3 * MIB // len(piece))
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    answer = raw_exchange(gateway, request_head(gateway, trace, None), chunked)
    assert answer.split(b" ", 2)[:2] == [b"HTTP/1.1", b"413"], answer[:300]
    assert b'"upload_too_large"' in answer
    [row] = gateway.log_rows(trace)
    assert row["status"] == 413
