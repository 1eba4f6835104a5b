"""Every error the gateway makes itself: exact OpenAI-shaped bodies, never HTML, never 500."""

from __future__ import annotations

import pytest

from gateway.providers import REGISTRY
from tests.factories import OK_BODY, OPENAI_URL, auth_headers, encode, image_body

URL = "/v1/images/generations"


def error_of(res):
    assert res.content_type == "application/json"
    body = res.get_json()
    assert set(body) == {"error"}
    assert {"message", "type", "param", "code"} <= set(body["error"])
    return body["error"]


@pytest.mark.parametrize(
    ("raw", "param", "code", "fragment"),
    [
        (b'{"prompt": "a", "n": 2.5}', "n", "invalid_value", "Not a valid integer"),
        (b'{"prompt": "a", "n": "2"}', "n", "invalid_value", "Not a valid integer"),
        (b'{"prompt": "a", "n": true}', "n", "invalid_value", "Not a valid integer"),
        (b'{"model": "dall-e-3", "prompt": "a", "n": 2}', "n", "invalid_value", "only 1"),
        (b'{"model": "dall-e-2", "prompt": "a", "n": 11}', "n", "invalid_value", "1 to 10"),
        (b'{"prompt": "a", "n": NaN}', None, "invalid_json", "NaN is not valid JSON"),
        (b'{"prompt": "a", "prompt": "b"}', None, "invalid_json", "duplicate key 'prompt'"),
        (b'[{"prompt": "a"}]', None, "invalid_json", "must be a JSON object"),
        (b'{"prompt": "a"', None, "invalid_json", "not valid JSON"),
        (b"", None, "invalid_json", "empty"),
        (b'{"prompt": "\\ud800"}', None, "invalid_json", "surrogate"),
        (b'\xef\xbb\xbf{"prompt": "a"}', None, "invalid_json", "byte-order mark"),
        (b'{"prompt": "\xff"}', None, "invalid_json", "not valid UTF-8"),
        (b"[" * 50000, None, "invalid_json", "nested too deeply"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, None, "invalid_json", "nested deeper than 32"),
        (b'{"n": 1}', "prompt", "invalid_value", "Missing data for required field"),
        (b'{"prompt": ""}', "prompt", "invalid_value", "Shorter than minimum length"),
        (b'{"prompt": 5}', "prompt", "invalid_value", "Not a valid string"),
        (
            b'{"prompt": "a", "response_format": "png"}',
            "response_format",
            "invalid_value",
            "Must be one of",
        ),
        (b'{"prompt": "a", "stream": true}', "stream", "invalid_value", "not supported"),
        (b'{"prompt": "a", "n": ' + b"9" * 5000 + b"}", None, "invalid_json", "not valid JSON"),
    ],
)
def test_bad_bodies_are_400_with_the_failing_parameter(client, raw, param, code, fragment):
    res = client.post(URL, data=raw, headers=auth_headers())
    assert res.status_code == 400
    error = error_of(res)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert fragment in error["message"]
    assert res.headers["x-should-retry"] == "false"


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        (
            image_body(size="256x256"),
            "size",
            "'size' '256x256' is not supported by model 'dall-e-3'; use one of 1024x1024, "
            "1792x1024, 1024x1792.",
        ),
        (
            image_body(quality="ultra"),
            "quality",
            "'quality' 'ultra' is not supported by model 'dall-e-3'; use one of standard, hd.",
        ),
        (
            image_body(style="comic"),
            "style",
            "'style' 'comic' is not supported by model 'dall-e-3'; use one of vivid, natural.",
        ),
        (
            image_body(prompt="x" * 4001),
            "prompt",
            "'prompt' is 4001 characters; model 'dall-e-3' accepts at most 4000.",
        ),
        (
            image_body(model="dall-e-2", prompt="x" * 1001),
            "prompt",
            "'prompt' is 1001 characters; model 'dall-e-2' accepts at most 1000.",
        ),
        (
            image_body(background="transparent"),
            "background",
            "'background' is only supported by gpt-image models, not by model 'dall-e-3'.",
        ),
        (
            image_body(model="gpt-image-1", style="vivid"),
            "style",
            "'style' is not supported by model 'gpt-image-1'.",
        ),
        (
            image_body(model="gpt-image-1", size="1792x1024"),
            "size",
            "'size' '1792x1024' is not supported by model 'gpt-image-1'; use one of 1024x1024, "
            "1536x1024, 1024x1536, auto.",
        ),
        (
            image_body(model="my-new-model", size="big"),
            "size",
            "'size' must look like 1024x1024 (WIDTHxHEIGHT) or auto.",
        ),
    ],
)
def test_capability_violations_name_the_parameter_and_the_allowed_values(
    client, body, param, message
):
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 400
    error = error_of(res)
    assert (error["param"], error["message"]) == (param, message)


def test_unknown_model_gets_generic_checks_and_passes_through(client, upstream):
    upstream.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
    body = image_body(model="dall-e-4", size="2048x2048", quality="ultra", seed=7)
    res = client.post(URL, data=encode(body), headers=auth_headers())
    assert res.status_code == 200
    assert upstream.calls[0].request.body == encode(body)


@pytest.mark.parametrize(
    ("headers", "status", "param", "code"),
    [
        ({"Content-Type": "application/json"}, 401, "authorization", "missing_api_key"),
        (
            {"Content-Type": "application/json", "Authorization": "Basic abc"},
            401,
            "authorization",
            "invalid_authorization_header",
        ),
        (
            {"Content-Type": "application/json", "Authorization": "Bearer "},
            401,
            "authorization",
            "invalid_authorization_header",
        ),
        (
            auth_headers(**{"x-portkey-provider": "midjourney"}),
            400,
            "x-portkey-provider",
            "unknown_provider",
        ),
        (auth_headers(**{"x-portkey-metadata": "[1]"}), 400, "x-portkey-metadata", "invalid_json"),
        (
            auth_headers(**{"x-portkey-metadata": '{"a": 1}'}),
            400,
            "x-portkey-metadata",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-metadata": '{"a": "' + "x" * 3000 + '"}'}),
            400,
            "x-portkey-metadata",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-request-timeout": "soon"}),
            400,
            "x-portkey-request-timeout",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-request-timeout": "0"}),
            400,
            "x-portkey-request-timeout",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-forward-headers": "authorization"}),
            400,
            "x-portkey-forward-headers",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-forward-headers": "X-Forwarded-For"}),
            400,
            "x-portkey-forward-headers",
            "invalid_value",
        ),
        (
            auth_headers(**{"x-portkey-virtual-key": "team-openai"}),
            400,
            "x-portkey-virtual-key",
            "gateway_key_required",
        ),
        (
            auth_headers(**{"x-portkey-custom-host": "http://127.0.0.1:9/v1"}),
            400,
            "x-portkey-custom-host",
            "custom_host_not_allowed",
        ),
        (
            {"Content-Type": "text/plain", "Authorization": "Bearer sk-123456"},
            415,
            "content-type",
            "unsupported_media_type",
        ),
        (
            {"Content-Type": "application/json; charset=latin-1", "Authorization": "Bearer k"},
            415,
            "content-type",
            "unsupported_media_type",
        ),
        ({"Authorization": "Bearer sk-123456"}, 415, "content-type", "unsupported_media_type"),
    ],
)
def test_bad_headers(client, headers, status, param, code):
    res = client.post(URL, data=encode(image_body()), headers=headers)
    assert res.status_code == status
    error = error_of(res)
    assert (error["param"], error["code"]) == (param, code)


def test_unknown_provider_lists_the_supported_ones(client):
    res = client.post(
        URL, data=encode(image_body()), headers=auth_headers(**{"x-portkey-provider": "midjourney"})
    )
    assert error_of(res)["message"] == (
        "Unknown provider 'midjourney'; supported providers: " + ", ".join(sorted(REGISTRY)) + "."
    )


def test_body_over_the_limit_is_413_json(make_app):
    client = make_app(max_body_bytes=2048).test_client()
    res = client.post(URL, data=encode(image_body(prompt="x" * 4096)), headers=auth_headers())
    assert res.status_code == 413
    assert error_of(res)["code"] == "request_too_large"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", URL, 405, "method_not_allowed"),
        ("get", "/v1/images/unknown", 404, "not_found"),
        ("post", "/", 404, "not_found"),
        ("delete", "/healthz", 405, "method_not_allowed"),
    ],
)
def test_werkzeug_errors_are_json(client, method, path, status, code):
    res = getattr(client, method)(path)
    assert res.status_code == status
    assert error_of(res)["code"] == code
    assert b"<html" not in res.data.lower()
    assert res.headers["x-request-id"].startswith("req_")


def test_a_well_formed_request_id_from_nginx_is_reused(make_app, client):
    # Without a trusted proxy in front, a client cannot choose the request id.
    assert (
        client.get("/healthz", headers={"x-request-id": "abc123def"})
        .headers["x-request-id"]
        .startswith("req_")
    )
    client = make_app(trusted_proxies=1).test_client()
    res = client.get("/healthz", headers={"x-request-id": "abc123def"})
    assert res.headers["x-request-id"] == "abc123def"
    res = client.get("/healthz", headers={"x-request-id": "bad id\u00e9"})
    assert res.headers["x-request-id"].startswith("req_")


def test_unexpected_failure_is_a_json_500_without_details(app, client, monkeypatch):
    def explode(*_a, **_k):
        raise RuntimeError("secret internals sk-internal-123456789")

    monkeypatch.setattr("gateway.api.images.generate", explode)
    res = client.post(URL, data=encode(image_body()), headers=auth_headers())
    assert res.status_code == 500
    error = error_of(res)
    assert error["code"] == "internal_error"
    assert "secret" not in res.get_data(as_text=True)
    assert error["message"].startswith("The gateway failed unexpectedly; request id req_")


def test_health_and_readiness(app, client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready", "in_flight": 0, "capacity": 1000}


def test_readiness_fails_when_the_store_is_gone(app, client):
    import os

    os.remove(app.extensions["gateway"].settings.db_path)
    res = client.get("/readyz")
    assert res.status_code == 503
    assert error_of(res)["code"] == "store_unavailable"
