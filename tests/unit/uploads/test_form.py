"""Multipart bodies that are not what they claim: each gets its status, code and param."""

from __future__ import annotations

import io

import pytest
from werkzeug.wsgi import LimitedStream

from gateway.errors import GatewayError
from gateway.uploads import UploadLimits, read_edit

from .bodies import BOUNDARY, CONTENT_TYPE, body, edit, file, image, refusal, text

PICTURE = image(size=(32, 32))


def _error(raw, **kw):
    status, error = refusal(edit, raw, **kw)
    return status, error["code"], error["param"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/mixed; boundary=x",
    ],
)
def test_a_body_that_is_not_multipart_form_data_is_400_as_openai_answers_it(content_type):
    raw = body(text("prompt", "p"), file("image", PICTURE))
    status, error = refusal(edit, raw, content_type=content_type)
    sent = f"'{content_type.split(';')[0]}'" if content_type else "none"
    assert (status, error) == (
        400,
        {
            "message": f"Unsupported content type: {sent}. This route takes only "
            "'multipart/form-data' with a boundary (with curl, send each field with -F).",
            "type": "invalid_request_error",
            "param": "content-type",
            "code": "unsupported_content_type",
        },
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        f"multipart/form-data; boundary={'b' * 201}",
    ],
)
def test_multipart_without_a_usable_boundary_is_400(content_type):
    raw = body(text("prompt", "p"), file("image", PICTURE))
    assert _error(raw, content_type=content_type) == (400, "invalid_multipart", "content-type")


def test_a_boundary_longer_than_rfc_2046_allows_is_still_read():
    """Werkzeug's test client makes boundaries of up to 72 characters; being strict on
    RFC 2046's 70 refused one request in a few hundred."""
    long = "w" * 72
    raw = body(text("prompt", "p"), file("image", PICTURE)).replace(
        BOUNDARY.encode(), long.encode()
    )
    with edit(raw, content_type=f"multipart/form-data; boundary={long}") as request:
        assert request.prompt == "p"


@pytest.mark.parametrize(
    "raw",
    [b"", b"prompt=p&image=x", body(text("prompt", "p")).replace(BOUNDARY.encode(), b"other")],
)
def test_a_body_without_the_declared_boundary_is_400(raw):
    assert _error(raw) == (400, "invalid_multipart", "content-type")


def test_a_part_without_content_disposition_is_400():
    raw = body(
        text("prompt", "p"), f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode()
    )
    assert _error(raw) == (400, "invalid_multipart", None)


def test_a_part_without_a_name_is_400():
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; filename="a.png"\r\n\r\nx\r\n'
    assert _error(body(part.encode())) == (400, "invalid_multipart", None)


@pytest.mark.parametrize(
    "raw",
    [
        text("prompt", "p") + f"--{BOUNDARY}\r\nX-Pad: ".encode() + b"a" * (2 * 1024 * 1024),
        b"x" * (2 * 1024 * 1024),
    ],
)
def test_endless_part_headers_or_preamble_are_400_not_buffered(raw):
    assert _error(raw) == (400, "invalid_multipart", None)


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (body(text("prompt", "p"), file("image", PICTURE), end=False)[:-40], "image"),
        (body(text("prompt", "p"), file("image", PICTURE), end=False), "image"),
        (body(file("image[]", PICTURE), file("image[]", PICTURE), end=False)[:-9], "image[1]"),
        (body(file("image", PICTURE), text("prompt", "a long prompt"))[:-30], "prompt"),
    ],
)
def test_a_truncated_body_is_400_naming_the_part_it_ended_in(raw, param):
    status, error = refusal(edit, raw)
    assert (status, error["code"], error["param"]) == (400, "upload_truncated", param)
    assert error["message"] == (
        f"The body ended inside '{param}', before the form's closing boundary."
    )


def _read_error(stream, content_length, limits=None):
    with (
        pytest.raises(GatewayError) as caught,
        read_edit(
            stream,
            content_type=CONTENT_TYPE,
            content_length=content_length,
            limits=limits or UploadLimits(),
        ),
    ):
        pass
    return caught.value.status, caught.value.code, caught.value.param


def test_fewer_bytes_than_content_length_is_400_truncated():
    """werkzeug's LimitedStream raises ClientDisconnected when the client stops early."""
    raw = body(text("prompt", "p"), file("image", PICTURE))
    stream = LimitedStream(io.BytesIO(raw[: len(raw) - 60]), len(raw))
    assert _read_error(stream, len(raw)) == (400, "upload_truncated", "image")


def test_a_declared_content_length_over_the_limit_is_413_before_reading():
    class Unread(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body must not be read")

    limits = UploadLimits(max_body_bytes=1000)
    assert _read_error(Unread(), 1001, limits) == (413, "upload_too_large", "content-length")


def test_a_body_over_the_limit_without_content_length_is_413_naming_the_field():
    raw = body(text("prompt", "p"), file("image", b"x" * 5000))
    limits = UploadLimits(max_body_bytes=4000, memory_threshold=100)
    status, error = refusal(edit, raw, limits=limits, content_length=None)
    assert (status, error["code"], error["param"]) == (413, "upload_too_large", "image")
    assert error["message"] == "The body is over the gateway's limit of 4000 bytes."


def test_a_file_over_the_per_file_limit_is_413_naming_it():
    raw = body(text("prompt", "p"), file("image[]", b"a" * 900), file("image[]", b"b" * 1001))
    limits = UploadLimits(max_file_bytes=1000)
    status, error = refusal(edit, raw, limits=limits)
    assert (status, error) == (
        413,
        {
            "message": "The file in 'image[1]' is over the gateway's limit of 1000 bytes.",
            "type": "invalid_request_error",
            "param": "image[1]",
            "code": "upload_too_large",
        },
    )


def test_a_text_field_over_its_limit_is_413():
    raw = body(text("prompt", "p" * 2000), file("image", PICTURE))
    limits = UploadLimits(max_field_bytes=1000)
    assert _error(raw, limits=limits) == (413, "upload_too_large", "prompt")


def test_too_many_parts_is_413():
    raw = body(text("prompt", "p"), *(text(f"x{i}", "1") for i in range(5)))
    limits = UploadLimits(max_parts=4)
    assert _error(raw, limits=limits) == (413, "too_many_parts", "x3")


def test_text_that_is_not_utf8_is_400():
    raw = body(
        text("prompt", "p").replace(b"\r\n\r\np", b"\r\n\r\n\xff\xfe"), file("image", PICTURE)
    )
    assert _error(raw) == (400, "invalid_value", "prompt")


def test_preamble_and_epilogue_are_ignored():
    raw = b"a preamble\r\n" + body(text("prompt", "p"), file("image", PICTURE)) + b"epilogue"
    with edit(raw) as request:
        assert request.prompt == "p"


@pytest.mark.parametrize(
    "disposition",
    [
        'form-data; name="quality\\"; x=\\""',  # a quoted-string escape: quality"; x="
        "form-data; name*=UTF-8''quality%22%3B%20x%3D%22",  # the same in RFC 2231
        "form-data; name*=UTF-8''n%0D%0AX-Injected%3A%201",  # a line break
    ],
)
def test_a_part_name_that_could_break_out_of_the_providers_form_is_refused(disposition):
    """Such a name would be written into the provider's form as another field (or a
    header line), past the model's checks and the price; its text is not echoed."""
    smuggled = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\nhigh\r\n".encode()
    status, error = refusal(edit, body(text("prompt", "p"), smuggled, file("image", image())))
    assert (status, error["code"], error["param"]) == (400, "invalid_multipart", None)
    assert error["message"] == "A part's name has a quote, backslash or control character."
