"""Odd inputs from callers and providers: always a clear 4xx/5xx in our shape, never a 500."""

from __future__ import annotations

import io
import json

import pytest
import requests

from tests.factories import OK_BODY, OPENAI_URL, auth_headers, encode, image_body
from tests.functional.conftest import log_rows

URL = "/v1/images/generations"


@pytest.mark.parametrize(
    ("header", "value", "param"),
    [
        ("x-portkey-request-timeout", "\u00b2", "x-portkey-request-timeout"),
        ("x-portkey-custom-host", "http://[::1", "x-portkey-custom-host"),
        ("x-portkey-custom-host", "http://[foo]:9000", "x-portkey-custom-host"),
        ("x-portkey-trace-id", "t" * 257, "x-portkey-trace-id"),
        ("x-portkey-metadata", '{"a": "\u00e9"}', "x-portkey-metadata"),  # latin-1, not UTF-8
    ],
)
def test_odd_header_values_are_400(client, header, value, param):
    res = client.post(URL, data=encode(image_body()), headers=auth_headers(**{header: value}))
    assert res.status_code == 400
    assert res.get_json()["error"]["param"] == param


def test_utf8_metadata_is_kept_as_text(app, client, upstream):
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    raw = '{"team": "caf\u00e9"}'.encode().decode("latin-1")  # what WSGI hands over
    res = client.post(
        URL, data=encode(image_body()), headers=auth_headers(**{"x-portkey-metadata": raw})
    )
    assert res.status_code == 200
    assert json.loads(log_rows(app)[0]["metadata"]) == {"team": "caf\u00e9"}


def test_non_finite_numbers_never_reach_the_provider(client):
    res = client.post(URL, data=b'{"prompt": "x", "seed": 1e999}', headers=auth_headers())
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "invalid_json"


def test_too_many_extra_fields(client):
    body = image_body(**{f"x{i}": i for i in range(33)})
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 400
    assert res.get_json()["error"]["message"] == (
        "Invalid request: at most 32 extra parameters are accepted."
    )


def test_chunked_body_over_the_limit_is_413_not_truncated(make_app):
    client = make_app(max_body_bytes=4096).test_client()
    body = b'{"prompt": "x", "model": "dall-e-2"}' + b" " * 10000
    res = client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers=auth_headers(**{"Transfer-Encoding": "chunked"}),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert res.status_code == 413


def test_double_slashes_are_a_json_404_not_an_html_redirect(client):
    res = client.post("//v1//images/generations", data=encode(image_body()), headers=auth_headers())
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "not_found"


def test_a_forwarded_header_never_replaces_one_the_gateway_builds(client, upstream):
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    headers = auth_headers(
        **{
            "x-portkey-forward-headers": "accept,openai-organization",
            "accept": "text/html",
            "openai-organization": "org-evil",
            "x-portkey-openai-organization": "org-good",
        }
    )
    assert client.post(URL, data=encode(image_body()), headers=headers).status_code == 200
    sent = upstream.calls[0].request.headers
    assert (sent["Accept"], sent["OpenAI-Organization"]) == ("application/json", "org-good")


@pytest.mark.parametrize(
    ("mock", "status", "code"),
    [
        ({"status": 999, "json": {"error": {"message": "odd"}}}, 502, "upstream_invalid_response"),
        (
            {
                "status": 429,
                "json": {"error": {"message": "slow"}},
                "headers": {"retry-after": "\u00b2"},
            },
            429,
            "upstream_429",
        ),
    ],
)
def test_odd_provider_answers(client, upstream, mock, status, code):
    upstream.post(OPENAI_URL, **mock)
    res = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code


def test_a_provider_error_the_log_cannot_store_does_not_stop_the_log(app, client, upstream):
    upstream.post(
        OPENAI_URL,
        status=400,
        body=b'{"error": {"message": "m", "code": "\\ud800"}}',
        content_type="application/json",
    )
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    first = client.post(URL, data=encode(image_body()), headers=auth_headers())
    second = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert (first.status_code, second.status_code) == (400, 200)
    assert first.get_json()["error"]["code"] == "?"
    assert sorted(row["status"] for row in log_rows(app)) == [200, 400]


def test_connect_timeout_under_a_request_timeout_is_408(client, upstream):
    upstream.post(OPENAI_URL, body=requests.ConnectTimeout("slow"))
    headers = auth_headers(**{"x-portkey-request-timeout": "500"})
    res = client.post(URL, data=encode(image_body()), headers=headers)
    assert res.status_code == 408
    assert res.get_json()["error"]["type"] == "timeout_error"
