"""One request through the whole app with the upstream mocked: exact bytes both ways."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
from responses import matchers

from tests.factories import OK_BODY, OPENAI_URL, PROVIDER_KEY, auth_headers, encode, image_body
from tests.functional.conftest import log_rows


def test_success_forwards_the_callers_bytes_and_returns_the_providers_bytes(client, upstream):
    raw = b'{"prompt": "a lighthouse", "model": "dall-e-3", "size": "1792x1024"}'
    upstream.post(
        OPENAI_URL,
        body=OK_BODY,
        content_type="application/json",
        headers={"x-request-id": "req_upstream", "set-cookie": "a=b", "openai-organization": "o"},
    )
    res = client.post("/v1/images/generations", data=raw, headers=auth_headers())
    assert res.status_code == 200
    assert res.data == OK_BODY
    sent = upstream.calls[0].request
    assert sent.body == raw
    assert dict(sent.headers) == {
        "User-Agent": "image-gateway/0.1",
        "Authorization": f"Bearer {PROVIDER_KEY}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Content-Length": str(len(raw)),
    }
    assert res.headers["x-portkey-provider"] == "openai"
    assert res.headers["x-portkey-last-used-option-index"] == "config"
    assert res.headers["x-portkey-retry-attempt-count"] == "0"
    assert res.headers["x-portkey-cache-status"] == "DISABLED"
    assert len(res.headers["x-portkey-trace-id"]) == 32
    assert res.headers["x-request-id"].startswith("req_")
    assert "set-cookie" not in res.headers
    assert "openai-organization" not in res.headers


def test_model_defaults_to_dall_e_2_as_openai_does(client, upstream):
    upstream.post(
        OPENAI_URL,
        body=OK_BODY,
        content_type="application/json",
        match=[matchers.json_params_matcher({"model": "dall-e-2", "prompt": "x", "n": 3})],
    )
    res = client.post(
        "/v1/images/generations", data=encode({"prompt": "x", "n": 3}), headers=auth_headers()
    )
    assert res.status_code == 200


def test_gpt_image_fields_pass_through_and_response_format_is_dropped(client, upstream):
    upstream.post(
        OPENAI_URL,
        body=b'{"created":1,"data":[{"b64_json":"AAAA"}],"usage":{"total_tokens":5}}',
        content_type="application/json",
        match=[
            matchers.json_params_matcher(
                {
                    "model": "gpt-image-1",
                    "prompt": "logo",
                    "background": "transparent",
                    "output_format": "webp",
                    "output_compression": 80,
                    "moderation": "low",
                    "quality": "high",
                }
            )
        ],
    )
    body = image_body(
        model="gpt-image-1",
        prompt="logo",
        background="transparent",
        output_format="webp",
        output_compression=80,
        moderation="low",
        quality="high",
        response_format="b64_json",
    )
    res = client.post("/v1/images/generations", data=encode(body), headers=auth_headers())
    assert res.status_code == 200
    assert res.get_json()["usage"] == {"total_tokens": 5}


def test_portkey_curl_style_key_header_and_openai_org_project(client, upstream):
    upstream.post(
        OPENAI_URL,
        body=OK_BODY,
        content_type="application/json",
        match=[
            matchers.header_matcher(
                {
                    "Authorization": "Bearer sk-from-portkey-header",
                    "OpenAI-Organization": "org-team",
                    "OpenAI-Project": "proj_team",
                    "x-team": "imaging",
                }
            )
        ],
    )
    headers = {
        "Content-Type": "application/json",
        "x-portkey-provider": "openai",
        "x-portkey-api-key": "sk-from-portkey-header",
        "x-portkey-openai-organization": "org-team",
        "x-portkey-openai-project": "proj_team",
        "x-portkey-forward-headers": "x-team",
        "x-team": "imaging",
        "x-other": "never forwarded",
        "x-portkey-trace-id": "trace-abc",
    }
    res = client.post("/v1/images/generations", data=encode(image_body()), headers=headers)
    assert res.status_code == 200
    assert res.headers["x-portkey-trace-id"] == "trace-abc"
    sent = upstream.calls[0].request.headers
    assert "x-other" not in sent
    assert not any(k.lower().startswith("x-portkey") for k in sent)


@pytest.mark.parametrize(
    ("status", "retry_after", "should_retry"),
    [(429, "2", "true"), (500, None, "false"), (503, None, "true"), (400, None, "false")],
)
def test_provider_errors_keep_status_and_are_openai_shaped(
    client, upstream, status, retry_after, should_retry
):
    headers = {"retry-after": retry_after} if retry_after else {}
    upstream.post(
        OPENAI_URL,
        status=status,
        headers=headers,
        json={
            "error": {
                "message": f"Rate limit for org-SECRETORG1 with key sk-proj-ab****wxyz ({status})",
                "type": "requests",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
    )
    res = client.post("/v1/images/generations", data=encode(image_body()), headers=auth_headers())
    assert res.status_code == status
    assert res.get_json() == {
        "error": {
            "message": f"openai error: Rate limit for org-*** with key sk-*** ({status})",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
            "provider": "openai",
        }
    }
    assert res.headers["x-should-retry"] == should_retry
    assert res.headers.get("retry-after") == retry_after


def test_provider_error_echoing_the_key_is_scrubbed(client, upstream):
    upstream.post(OPENAI_URL, status=401, json={"error": {"message": f"bad key {PROVIDER_KEY}"}})
    res = client.post("/v1/images/generations", data=encode(image_body()), headers=auth_headers())
    assert res.status_code == 401
    assert PROVIDER_KEY not in res.get_data(as_text=True)
    assert res.get_json()["error"]["message"] == "openai error: bad key ***"
    assert res.get_json()["error"]["code"] == "upstream_401"


@pytest.mark.parametrize(
    ("mock", "status", "code", "should_retry"),
    [
        ({"body": requests.ConnectionError("refused")}, 502, "upstream_connection_lost", "false"),
        ({"body": requests.ConnectTimeout("slow")}, 502, "upstream_connect_timeout", "true"),
        ({"body": requests.ReadTimeout("slow")}, 504, "upstream_timeout", "false"),
        (
            {"body": "<html>oops</html>", "content_type": "text/html"},
            502,
            "upstream_invalid_response",
            "false",
        ),
        (
            {"status": 302, "headers": {"location": "http://169.254.169.254/"}},
            502,
            "upstream_redirect",
            "false",
        ),
        (
            {"status": 500, "body": "plain failure", "content_type": "text/plain"},
            502,
            "upstream_invalid_response",
            "false",
        ),
    ],
)
def test_upstream_failures_map_to_clear_gateway_errors(
    client, upstream, mock, status, code, should_retry
):
    upstream.post(OPENAI_URL, **mock)
    res = client.post("/v1/images/generations", data=encode(image_body()), headers=auth_headers())
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code
    assert res.get_json()["error"]["provider"] == "openai"
    assert res.headers["x-should-retry"] == should_retry
    assert res.content_type == "application/json"


def test_request_timeout_header_gives_portkeys_408(client, upstream):
    upstream.post(OPENAI_URL, body=requests.ReadTimeout("slow"))
    headers = auth_headers(**{"x-portkey-request-timeout": "1500"})
    res = client.post("/v1/images/generations", data=encode(image_body()), headers=headers)
    assert res.status_code == 408
    assert res.get_json()["error"] == {
        "message": "Request exceeded the timeout sent in the request: 1500ms",
        "type": "timeout_error",
        "param": None,
        "code": "request_timeout",
        "provider": "openai",
    }
    assert res.headers["x-should-retry"] == "false"


def test_every_request_gets_one_log_row_without_secrets(app, client, upstream):
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    headers = auth_headers(
        **{"x-portkey-trace-id": "t-1", "x-portkey-metadata": '{"team": "ads", "_user": "ann"}'}
    )
    ok = client.post(
        "/v1/images/generations", data=encode(image_body(size="1024x1792")), headers=headers
    )
    bad = client.post("/v1/images/generations", data=b"{", headers=auth_headers())
    assert (ok.status_code, bad.status_code) == (200, 400)
    rows = {row["status"]: row for row in log_rows(app)}
    good = rows[200]
    assert good["trace_id"] == "t-1"
    assert json.loads(good["metadata"]) == {"team": "ads", "_user": "ann"}
    assert (good["provider"], good["model"], good["n"], good["size"], good["quality"]) == (
        "openai",
        "dall-e-3",
        1,
        "1024x1792",
        "standard",
    )
    assert good["prompt"] == "a lighthouse at dusk"
    assert good["bytes_out"] == len(OK_BODY)
    assert good["upstream_latency_ms"] >= 0
    assert good["error_code"] is None
    assert rows[400]["error_code"] == "invalid_json"
    assert rows[400]["model"] is None
    assert PROVIDER_KEY not in json.dumps(list(rows.values()))


def test_prompts_stay_out_of_the_log_when_disabled(make_app, upstream):
    app = make_app(log_prompts=False)
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    app.test_client().post(
        "/v1/images/generations", data=encode(image_body()), headers=auth_headers()
    )
    assert [row["prompt"] for row in log_rows(app)] == [None]


def test_openai_base_url_setting_redirects_every_call(make_app):
    app = make_app(openai_base_url="http://10.1.2.3:8080/openai/v1")
    with responses.RequestsMock() as mock:
        mock.post(
            "http://10.1.2.3:8080/openai/v1/images/generations",
            body=OK_BODY,
            content_type="application/json",
        )
        res = app.test_client().post(
            "/v1/images/generations", data=encode(image_body()), headers=auth_headers()
        )
    assert res.status_code == 200


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_one_json_access_line_per_request_with_the_trace_id(make_app, upstream):
    client = make_app(trusted_proxies=1).test_client()
    access, handler = logging.getLogger("gateway.access"), _Lines()
    access.addHandler(handler)
    try:
        upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        client.post(
            "/v1/images/generations?api_key=sk-in-url-123456",
            data=encode(image_body()),
            headers=auth_headers(**{"x-portkey-trace-id": "tr-9", "x-request-id": "rid-9"}),
        )
        client.get("/nope")
    finally:
        access.removeHandler(handler)
    lines = [json.loads(line) for line in handler.lines]
    assert len(lines) == 2
    first = {k: v for k, v in lines[0].items() if k not in {"time", "latency_ms"}}
    assert first == {
        "request_id": "rid-9",
        "trace_id": "tr-9",
        "method": "POST",
        "path": "/v1/images/generations",
        "status": 200,
        "provider": "openai",
        "model": "dall-e-3",
        "bytes_out": len(OK_BODY),
        "client_ip": "127.0.0.1",
    }
    assert lines[1]["status"] == 404
    assert lines[1]["path"] == "/nope"
    assert "sk-in-url" not in "".join(handler.lines)
