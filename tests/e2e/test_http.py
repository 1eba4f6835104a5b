"""Raw HTTP against the gateway under gunicorn, with the fake provider upstream."""

from __future__ import annotations

import http.client
import json

import pytest

IMAGES = "/v1/images/generations"
KEY = "sk-test-e2e-http-0123456789abcdefABCDEF"
AUTH = {"Authorization": f"Bearer {KEY}"}
# What requests itself adds to the upstream call; anything else must come from us.
TRANSPORT_HEADERS = {"host", "user-agent", "accept-encoding", "accept", "connection"}
UPSTREAM_HEADERS = {*TRANSPORT_HEADERS, "content-length", "content-type", "authorization"}
ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module")
def custom_gateway(start_gateway, fake_provider):
    """A gateway whose admin allowlists the fake, so any behaviour can be picked per request."""
    return start_gateway(GATEWAY_ALLOWED_CUSTOM_HOSTS=fake_provider.base_url)


def post(http, gateway, body=None, *, headers=None, data=None, **kwargs):
    sent = dict(AUTH if headers is None else headers)
    if data is None:
        data = json.dumps(body if body is not None else {"prompt": "a red fox"})
        sent.setdefault("Content-Type", "application/json")
    return http.post(gateway.url(IMAGES), data=data, headers=sent, timeout=30, **kwargs)


def via(fake, prefix, **headers):
    """Headers that send the request to the fake's ``prefix`` behaviour through a custom host."""
    return {**AUTH, "x-portkey-custom-host": fake.upstream(prefix), **headers}


def error_of(response):
    """The ``error`` object of an OpenAI-shaped JSON error answer."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) >= ERROR_KEYS, body
    assert isinstance(body["error"]["message"], str)
    return body["error"]


def test_generation_sends_exact_call_upstream_and_returns_upstream_bytes(
    http, gateway, fake_provider
):
    body = {
        "model": "dall-e-3",
        "prompt": "a red fox in the snow",
        "n": 1,
        "size": "1024x1024",
        "quality": "hd",
        "style": "vivid",
        "response_format": "url",
        "user": "user-42",
    }
    headers = {
        **AUTH,
        "x-portkey-provider": "openai",
        "x-portkey-trace-id": "trace-e2e-happy",
        "x-portkey-metadata": '{"_user": "alice", "team": "design"}',
        "X-Private-Note": "not for upstream",
        "Cookie": "session=abc",
    }

    response = post(http, gateway, body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.content == fake_provider.ok_body(1, "url")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-portkey-trace-id"] == "trace-e2e-happy"
    assert response.headers["x-portkey-provider"] == "openai"
    assert response.headers["x-portkey-last-used-option-index"] == "config"
    assert response.headers["x-portkey-retry-attempt-count"] == "0"
    assert response.headers["x-portkey-cache-status"] == "DISABLED"
    assert response.headers["x-request-id"]
    [upstream] = fake_provider.requests
    assert (upstream.method, upstream.path, upstream.query) == ("POST", IMAGES, "")
    assert upstream.json() == body
    assert upstream.headers["authorization"] == f"Bearer {KEY}"
    assert upstream.headers["content-type"] == "application/json"
    assert set(upstream.headers) <= UPSTREAM_HEADERS, upstream.headers


def test_successful_generation_is_logged_with_its_fields(http, gateway):
    body = {"model": "dall-e-3", "prompt": "a lighthouse", "size": "1792x1024", "quality": "hd"}
    headers = {**AUTH, "x-portkey-trace-id": "trace-e2e-log", "x-portkey-metadata": '{"a": "b"}'}

    response = post(http, gateway, body, headers=headers)

    assert response.status_code == 200, response.text
    [row] = gateway.log_rows("trace-e2e-log")
    assert row["provider"] == "openai"
    assert (row["model"], row["n"], row["size"], row["quality"]) == (
        "dall-e-3",
        1,
        "1792x1024",
        "hd",
    )
    assert (row["status"], row["error_code"]) == (200, None)
    assert row["bytes_out"] == len(response.content)
    assert json.loads(row["metadata"]) == {"a": "b"}
    assert row["prompt"] == "a lighthouse"
    assert row["latency_ms"] >= row["upstream_latency_ms"] > 0


def test_cli_prints_the_logged_row_as_json(http, gateway):
    headers = {**AUTH, "x-portkey-trace-id": "trace-e2e-cli"}
    assert post(http, gateway, headers=headers).status_code == 200
    assert gateway.log_rows("trace-e2e-cli")

    rows = gateway.cli_json("logs", "--trace-id", "trace-e2e-cli", "--json")

    assert [(r["trace_id"], r["status"], r["model"]) for r in rows] == [
        ("trace-e2e-cli", 200, "dall-e-2")
    ]


def test_missing_model_gets_openai_default_dall_e_2(http, gateway, fake_provider):
    response = post(http, gateway, {"prompt": "a cat"})

    assert response.status_code == 200, response.text
    assert [r.json() for r in fake_provider.requests] == [{"prompt": "a cat", "model": "dall-e-2"}]


def test_n_images_as_b64_json_are_passed_through(http, gateway, fake_provider):
    body = {"model": "dall-e-2", "prompt": "a cat", "n": 3, "response_format": "b64_json"}

    response = post(http, gateway, body)

    assert response.status_code == 200, response.text
    assert response.content == fake_provider.ok_body(3, "b64_json")


def test_gpt_image_1_parameters_reach_upstream_unchanged(http, gateway, fake_provider):
    body = {
        "model": "gpt-image-1",
        "prompt": "a logo",
        "size": "1024x1536",
        "quality": "high",
        "background": "transparent",
        "output_format": "webp",
        "output_compression": 80,
        "moderation": "low",
    }

    response = post(http, gateway, body)

    assert response.status_code == 200, response.text
    assert [r.json() for r in fake_provider.requests] == [body]


def test_portkey_api_key_header_is_the_provider_key_without_authorization(
    http, gateway, fake_provider
):
    response = post(http, gateway, headers={"x-portkey-api-key": KEY})

    assert response.status_code == 200, response.text
    [upstream] = fake_provider.requests
    assert upstream.headers["authorization"] == f"Bearer {KEY}"
    assert not any(name.startswith("x-portkey-") for name in upstream.headers)


def test_named_forward_headers_and_openai_org_project_go_upstream(http, gateway, fake_provider):
    headers = {
        **AUTH,
        "x-portkey-forward-headers": "x-team-id, x-absent",
        "X-Team-Id": "team-7",
        "X-Other": "stays here",
        "x-portkey-openai-organization": "org-e2eorg",
        "x-portkey-openai-project": "proj_e2eproject",
    }

    response = post(http, gateway, headers=headers)

    assert response.status_code == 200, response.text
    [upstream] = fake_provider.requests
    assert upstream.headers["x-team-id"] == "team-7"
    assert upstream.headers["openai-organization"] == "org-e2eorg"
    assert upstream.headers["openai-project"] == "proj_e2eproject"
    extra = {"x-team-id", "openai-organization", "openai-project"}
    assert set(upstream.headers) <= UPSTREAM_HEADERS | extra, upstream.headers


def test_large_b64_answer_is_returned_byte_for_byte(http, custom_gateway, fake_provider):
    body = {"prompt": "a red fox", "response_format": "b64_json"}
    response = post(http, custom_gateway, body, headers=via(fake_provider, "b64/1500000"))

    assert response.status_code == 200, response.text
    assert response.content == fake_provider.b64_body(1_500_000)


def test_trace_id_is_echoed(http, gateway):
    response = post(http, gateway, headers={**AUTH, "x-portkey-trace-id": "my-trace-1"})

    assert response.headers["x-portkey-trace-id"] == "my-trace-1"


def test_trace_id_is_generated_when_absent_and_logged(http, gateway):
    first = post(http, gateway)
    second = post(http, gateway)

    ids = [r.headers["x-portkey-trace-id"] for r in (first, second)]
    assert all(ids)
    assert ids[0] != ids[1]
    assert [row["status"] for row in gateway.log_rows(ids[0])] == [200]


@pytest.mark.parametrize(
    ("body", "param", "in_message"),
    [
        ({"prompt": "x", "n": 2.5}, "n", None),
        ({"model": "dall-e-3", "prompt": "x", "n": 2}, "n", None),
        (
            {"model": "dall-e-3", "prompt": "x", "size": "256x256"},
            "size",
            "1024x1024, 1792x1024, 1024x1792",
        ),
    ],
    ids=["n-not-integer", "dall-e-3-n-2", "dall-e-3-size-256"],
)
def test_invalid_parameters_are_400_naming_the_param(
    http, gateway, fake_provider, body, param, in_message
):
    response = post(http, gateway, body)

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    if in_message:
        assert in_message in error["message"]
    assert fake_provider.requests == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ('{"prompt": "x",', "application/json", 400, "invalid_json"),
        ('{"prompt": "a", "prompt": "b"}', "application/json", 400, "invalid_json"),
        ('{"prompt": "x"}', "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["invalid-json", "duplicate-keys", "wrong-content-type"],
)
def test_malformed_bodies_are_rejected_before_upstream(
    http, gateway, fake_provider, data, content_type, status, code
):
    response = post(http, gateway, data=data, headers={**AUTH, "Content-Type": content_type})

    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert fake_provider.requests == []


def test_body_over_1_mib_is_413_and_keep_alive_stays_honest(gateway, fake_provider):
    data = json.dumps({"prompt": "x" * (1 << 20)})
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=30)
    try:
        conn.request(
            "POST", IMAGES, body=data, headers={**AUTH, "Content-Type": "application/json"}
        )
        response = conn.getresponse()
        body = json.loads(response.read())

        assert response.status == 413, body
        assert body["error"]["code"] == "request_too_large"
        assert fake_provider.requests == []
        # The next request on the same connection must work: either the gateway keeps
        # the connection usable or it says "Connection: close" (http.client reconnects).
        advertised = response.getheader("Connection")
        try:
            conn.request("GET", "/healthz")
            assert conn.getresponse().status == 200
        except (OSError, http.client.HTTPException) as exc:
            pytest.fail(f"413 said 'Connection: {advertised}' but the gateway dropped it: {exc!r}")
    finally:
        conn.close()


def test_unknown_provider_is_400_listing_known_ones(http, gateway, fake_provider):
    response = post(http, gateway, headers={**AUTH, "x-portkey-provider": "nope-ai"})

    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "unknown_provider"
    assert "openai" in error["message"]
    assert fake_provider.requests == []


def test_missing_key_is_401(http, gateway, fake_provider):
    response = post(http, gateway, headers={"x-portkey-provider": "openai"})

    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "missing_api_key"
    assert fake_provider.requests == []


def test_unknown_route_is_json_404(http, gateway):
    response = http.get(gateway.url("/v1/nope"), timeout=10)

    assert response.status_code == 404
    assert error_of(response)["type"] == "invalid_request_error"


def test_get_on_the_endpoint_is_json_405(http, gateway):
    response = http.get(gateway.url(IMAGES), timeout=10)

    assert response.status_code == 405
    assert error_of(response)["type"] == "invalid_request_error"


def test_upstream_429_keeps_status_and_retry_after(http, custom_gateway, fake_provider):
    response = post(http, custom_gateway, headers=via(fake_provider, "status/429"))

    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == "1"
    error = error_of(response)
    assert error["message"].startswith("openai error: ")
    assert (error["provider"], error["code"]) == ("openai", "rate_limit_exceeded")


def test_upstream_500_keeps_status(http, custom_gateway, fake_provider):
    response = post(http, custom_gateway, headers=via(fake_provider, "status/500"))

    assert response.status_code == 500, response.text
    error = error_of(response)
    assert error["message"].startswith("openai error: ")
    assert error["provider"] == "openai"


def test_upstream_non_json_answer_is_502(http, custom_gateway, fake_provider):
    response = post(http, custom_gateway, headers=via(fake_provider, "text"))

    assert response.status_code == 502, response.text
    assert error_of(response)["code"] == "upstream_invalid_response"
    assert "<html>" not in response.text


@pytest.mark.parametrize("prefix", ["redirect", "redirect-self"])
def test_upstream_redirect_is_502_and_not_followed(http, custom_gateway, fake_provider, prefix):
    response = post(http, custom_gateway, headers=via(fake_provider, prefix))

    assert response.status_code == 502, response.text
    error_of(response)
    assert [r.path for r in fake_provider.requests] == [f"/{prefix}{IMAGES}"]


def test_upstream_hanging_up_is_502(http, custom_gateway, fake_provider):
    response = post(http, custom_gateway, headers=via(fake_provider, "hang/100"))

    assert response.status_code == 502, response.text
    error_of(response)


def test_request_timeout_header_gives_408_timeout_error(http, custom_gateway, fake_provider):
    headers = via(fake_provider, "slow/2000", **{"x-portkey-request-timeout": "300"})

    response = post(http, custom_gateway, headers=headers)

    assert response.status_code == 408, response.text
    assert error_of(response)["type"] == "timeout_error"


def test_unreachable_upstream_is_502_that_may_be_retried(http, start_gateway, closed_port):
    gateway = start_gateway(
        GATEWAY_OPENAI_BASE_URL=f"http://127.0.0.1:{closed_port}/v1", GATEWAY_WORKERS=1
    )

    response = post(http, gateway)

    assert response.status_code == 502, response.text
    assert response.headers["x-should-retry"] == "true"
    error_of(response)


def test_custom_host_is_refused_unless_allowlisted(http, gateway, fake_provider):
    response = post(http, gateway, headers=via(fake_provider, "status/429"))

    assert response.status_code == 400, response.text
    assert error_of(response)["code"] == "custom_host_not_allowed"
    assert fake_provider.requests == []


def test_allowlisted_custom_host_is_used_with_its_path(http, custom_gateway, fake_provider):
    response = post(http, custom_gateway, headers=via(fake_provider, "ok"))

    assert response.status_code == 200, response.text
    assert response.content == fake_provider.ok_body(1, "url")
    assert [r.path for r in fake_provider.requests] == [f"/ok{IMAGES}"]


@pytest.mark.parametrize(("path", "body"), [("/healthz", {"status": "ok"}), ("/readyz", None)])
def test_health_endpoints(http, gateway, path, body):
    response = http.get(gateway.url(path), timeout=10)

    assert response.status_code == 200
    if body is not None:
        assert response.json() == body
