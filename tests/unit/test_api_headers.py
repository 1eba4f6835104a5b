"""The view's headers: read once from the environ, found as werkzeug finds them."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import EnvironHeaders

from gateway.api.images import Headers

ENVIRON = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/v1/images/generations",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": "12",
    "HTTP_HOST": "gw",
    "HTTP_AUTHORIZATION": "Bearer sk-x",
    "HTTP_X_PORTKEY_CONFIG": '{"retry":{"attempts":2}}',
    "HTTP_X_PORTKEY_TRACE_ID": "t-1",
    "wsgi.url_scheme": "http",
}


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "authorization",
        "X-Portkey-Config",
        "x-portkey-trace-id",
        "content-type",
        "Content-Length",
        "host",
        "x-absent",
        "request-method",
        "url-scheme",
    ],
)
def test_a_header_is_what_environ_headers_gives(name):
    headers = Headers.of(ENVIRON)
    assert headers.get(name) == EnvironHeaders(ENVIRON).get(name)
    assert headers.get(name, "d") == EnvironHeaders(ENVIRON).get(name, "d")
