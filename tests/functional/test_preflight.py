"""The whole request is checked before anything is sent: configs, intranet virtual keys and
the provider header (GATEWAY_DEFAULT_PROVIDER=none)."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import responses
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from responses import matchers

from gateway import create_app
from gateway.cli import main as cli
from gateway.outbound.signing import GOOGLE_TOKEN_URI
from gateway.settings import SettingsError
from tests.factories import OK_BODY, OPENAI_URL, PROVIDER_KEY, encode, image_body, settings
from tests.unit.test_signing import account_json

URL = "/v1/images/generations"
JSON = {"Content-Type": "application/json"}
SECRET = "sk-intranet-stored-secret-0123456789"
INTRANET = "http://127.0.0.1:8080"


def post(app, **headers):
    return app.test_client().post(URL, data=encode(image_body()), headers={**JSON, **headers})


def target(**extra):
    return {"provider": "openai", "api_key": PROVIDER_KEY, **extra}


def fallback(*targets):
    return {"strategy": {"mode": "fallback"}, "targets": list(targets)}


def with_deps(app, **changes):
    state = app.extensions["gateway"]
    deps = dataclasses.replace(state.deps, **changes)
    app.extensions["gateway"] = dataclasses.replace(state, deps=deps)
    return app


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:9999/v1", "http://[::1]:9/v1", "http://localhost:9/v1"],
)
def test_a_refused_custom_host_on_the_second_target_makes_no_call_at_all(make_app, host):
    app = make_app(allowed_custom_hosts=("http://127.0.0.1:9",))
    config = fallback(target(), fallback(target(custom_host=host)))
    # Before the pre-flight, the first target was called (and its 500 paid for) first.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
        res = post(app, **{"x-portkey-config": json.dumps(config)})
        assert len(mock.calls) == 0
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert (error["code"], error["param"]) == (
        "custom_host_not_allowed",
        "x-portkey-config.targets[1].targets[0].custom_host",
    )


def test_a_checked_host_is_resolved_once_for_every_attempt_and_target(make_app):
    asked = []

    def resolve(host, port):
        asked.append((host, port))
        return ["93.184.216.34"]

    app = with_deps(
        make_app(allowed_custom_hosts=("http://img.partner.example:8080",)),
        resolve_host=resolve,
        sleep=lambda s: None,
    )
    host = "http://img.partner.example:8080/v1"
    retried = target(custom_host=host, retry={"attempts": 1, "on_status_codes": [500]})
    config = fallback(retried, target(custom_host=host))
    pinned = "http://93.184.216.34:8080/v1/images/generations"
    sent_to_the_name = [matchers.header_matcher({"Host": "img.partner.example:8080"})]
    with responses.RequestsMock() as mock:
        mock.post(pinned, status=500, json={"error": {"message": "boom"}}, match=sent_to_the_name)
        mock.post(pinned, status=500, json={"error": {"message": "boom"}}, match=sent_to_the_name)
        mock.post(pinned, body=OK_BODY, content_type="application/json", match=sent_to_the_name)
        res = post(app, **{"x-portkey-config": json.dumps(config)})
        assert len(mock.calls) == 3
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"
    assert asked == [("img.partner.example", 8080)]


def test_a_bad_body_is_refused_before_any_dns_lookup(make_app):
    asked = []
    app = with_deps(
        make_app(allowed_custom_hosts=("http://img.partner.example:8080",)),
        resolve_host=lambda host, port: asked.append(host) or ["93.184.216.34"],
    )
    config = target(custom_host="http://img.partner.example:8080/v1")
    res = app.test_client().post(
        URL, data=b'{"prompt": ', headers={**JSON, "x-portkey-config": json.dumps(config)}
    )
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "invalid_json"
    assert asked == []


def test_a_json_config_header_that_is_not_an_object_is_a_400_not_config_not_found(make_app):
    app = make_app()
    for header in ('["openai"]', '"openai"', "42", "true"):
        res = post(app, Authorization=f"Bearer {PROVIDER_KEY}", **{"x-portkey-config": header})
        assert res.status_code == 400, header
        error = res.get_json()["error"]
        assert (error["code"], error["param"]) == ("invalid_json", "x-portkey-config")
        assert error["message"] == "The 'x-portkey-config' header must be a JSON object."


@pytest.fixture
def intranet(make_app, monkeypatch):
    """A data directory with a team key and an http virtual key stored while its host was
    on the allowlist; ``build(allowed)`` starts an app on it with another allowlist."""
    app = make_app(require_api_key="true", allowed_custom_hosts=(INTRANET,))
    monkeypatch.setenv("GATEWAY_DATA_DIR", app.extensions["gateway"].settings.data_dir)
    monkeypatch.setenv("GATEWAY_ALLOWED_CUSTOM_HOSTS", INTRANET)
    runner = CliRunner()
    created = runner.invoke(cli, ["api-keys", "create", "--name", "design"])
    assert created.exit_code == 0, created.output
    args = ["virtual-keys", "create", "images", "--provider", "openai", "--base-url"]
    stored = runner.invoke(cli, [*args, INTRANET + "/v1"], input=SECRET)
    assert stored.exit_code == 0, stored.output
    key = created.output.splitlines()[0].strip()

    def build(allowed):
        return make_app(require_api_key="true", allowed_custom_hosts=allowed), key

    return build


def test_an_http_virtual_key_on_the_allowlist_calls_its_intranet_server(intranet):
    app, key = intranet((INTRANET,))
    with responses.RequestsMock() as mock:
        mock.post(
            INTRANET + "/v1/images/generations",
            body=OK_BODY,
            content_type="application/json",
            match=[matchers.header_matcher({"Authorization": f"Bearer {SECRET}"})],
        )
        res = post(app, **{"x-portkey-api-key": key, "x-portkey-virtual-key": "images"})
    assert res.status_code == 200
    assert res.data == OK_BODY


def test_an_http_virtual_key_whose_host_left_the_allowlist_is_refused_without_a_call(intranet):
    app, key = intranet(("https://other.example",))
    config = fallback(target(), {"virtual_key": "images"})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
        res = post(app, **{"x-portkey-api-key": key, "x-portkey-config": json.dumps(config)})
        assert len(mock.calls) == 0
    assert res.status_code == 400
    assert res.get_json()["error"] == {
        "message": "Base URL of virtual key 'images' refused: the host is not on the gateway's "
        "allowlist (GATEWAY_ALLOWED_CUSTOM_HOSTS).",
        "type": "invalid_request_error",
        "param": "x-portkey-config.targets[1].virtual_key",
        "code": "virtual_key_base_url_not_allowed",
    }
    assert SECRET not in res.get_data(as_text=True)


MISSING = {
    "message": "No provider: send the 'x-portkey-provider' header, or an 'x-portkey-config' "
    "that names a provider or a virtual key.",
    "type": "invalid_request_error",
    "param": "x-portkey-provider",
    "code": "missing_provider",
}


def test_without_a_default_provider_a_request_must_name_one(make_app):
    app = make_app(default_provider=None)
    auth = {"Authorization": f"Bearer {PROVIDER_KEY}"}
    with responses.RequestsMock() as mock:  # nothing registered: no call may be made
        res = post(app, **auth)
        assert (res.status_code, res.get_json()["error"]) == (400, MISSING)
        # A config that names no provider leaves it open too.
        res = post(app, **auth, **{"x-portkey-config": json.dumps({"retry": {"attempts": 1}})})
        assert (res.status_code, res.get_json()["error"]) == (400, MISSING)
        assert len(mock.calls) == 0
    with responses.RequestsMock() as mock:
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        assert post(app, **auth, **{"x-portkey-provider": "openai"}).status_code == 200
        assert post(app, **{"x-portkey-config": json.dumps(target())}).status_code == 200


@pytest.mark.parametrize("default", ["openai", None])
def test_an_empty_provider_header_is_a_400_in_both_modes(make_app, default):
    app = make_app(default_provider=default)
    with responses.RequestsMock():
        res = post(app, Authorization=f"Bearer {PROVIDER_KEY}", **{"x-portkey-provider": " "})
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert (error["code"], error["param"]) == ("missing_provider", "x-portkey-provider")


def test_the_default_provider_openai_serves_an_unmodified_openai_sdk(make_app):
    app = make_app()
    with responses.RequestsMock() as mock:
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        assert post(app, Authorization=f"Bearer {PROVIDER_KEY}").status_code == 200


def test_an_unknown_default_provider_stops_the_start(tmp_path):
    with pytest.raises(SettingsError, match=r"^GATEWAY_DEFAULT_PROVIDER: not a known provider"):
        create_app(settings(tmp_path, default_provider="dalle-service"))


# --- Vertex service accounts and AWS keys: checked before the first target is called ---

VERTEX_URL = (
    "https://us-central1-aiplatform.googleapis.com/v1/projects/demo-project/locations/"
    "us-central1/publishers/google/models/imagen-4.0-generate-001:predict"
)
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def vertex(account, **extra):
    return {
        "provider": "vertex-ai",
        "vertex_region": "us-central1",
        "vertex_service_account_json": account,
        "override_params": {"model": "imagen-4.0-generate-001", "response_format": "b64_json"},
        **extra,
    }


def unusable(rsa_key, kind):
    if kind == "missing fields":
        return {"type": "service_account", "token_uri": GOOGLE_TOKEN_URI}
    if kind == "non-RSA key":
        return json.loads(account_json(ec.generate_private_key(ec.SECP256R1())))
    return json.loads(account_json(rsa_key, token_uri="https://evil.example/token"))


@pytest.mark.parametrize("kind", ["missing fields", "non-RSA key", "token_uri not allowed"])
def test_an_unusable_vertex_account_on_the_second_target_makes_no_call_at_all(
    make_app, rsa_key, kind
):
    app = make_app()
    config = fallback(target(), vertex(unusable(rsa_key, kind)))
    # Before, openai was called (and paid for) first; the key was checked when signing.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
        mock.post(GOOGLE_TOKEN_URI, json={"access_token": "ya29.x", "expires_in": 3600})
        res = post(app, **{"x-portkey-config": json.dumps(config)})
        assert len(mock.calls) == 0
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert (error["code"], error["param"]) == (
        "invalid_value",
        "x-portkey-config.targets[1].vertex_service_account_json",
    )
    assert error["message"].startswith("vertex_service_account_json is not usable: ")


def test_malformed_account_json_in_the_header_is_named_by_the_header(make_app):
    app = make_app()
    headers = {
        "x-portkey-provider": "vertex-ai",
        "x-portkey-vertex-service-account-json": '{"type": "service_account", ',
    }
    with responses.RequestsMock() as mock:  # nothing registered: no call may be made
        res = post(app, **headers)
        assert len(mock.calls) == 0
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert (error["param"], error["message"]) == (
        "x-portkey-vertex-service-account-json",
        "vertex_service_account_json is not usable: it is not JSON.",
    )


def test_the_token_uri_pinned_by_the_preflight_is_used_without_a_second_lookup(make_app, rsa_key):
    asked = []

    def resolve(host, port):
        asked.append((host, port))
        return ["93.184.216.34"]

    app = with_deps(
        make_app(allowed_custom_hosts=("http://tokens.partner.example:8080",)),
        resolve_host=resolve,
    )
    account = json.loads(account_json(rsa_key, token_uri="http://tokens.partner.example:8080/t"))
    config = fallback(target(), vertex(account))
    with responses.RequestsMock() as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
        mock.post(
            "http://93.184.216.34:8080/t",
            json={"access_token": "ya29.pinned", "expires_in": 3600, "token_type": "Bearer"},
            match=[matchers.header_matcher({"Host": "tokens.partner.example:8080"})],
        )
        mock.post(
            VERTEX_URL,
            json={"predictions": [{"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"}]},
            match=[matchers.header_matcher({"Authorization": "Bearer ya29.pinned"})],
        )
        res = post(app, **{"x-portkey-config": json.dumps(config)})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["data"] == [{"b64_json": PNG_B64}]
    assert asked == [("tokens.partner.example", 8080)]


def test_a_bedrock_key_id_without_its_secret_on_the_second_target_makes_no_call(make_app):
    # AWS keys are checked for presence (and, as every option, for printable ASCII) up
    # front; SigV4 cannot fail on such a key, so nothing else is left for signing time.
    app = make_app()
    bedrock = {"provider": "bedrock", "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "boom"}})
        res = post(app, **{"x-portkey-config": json.dumps(fallback(target(), bedrock))})
        assert len(mock.calls) == 0
    assert res.status_code == 401
    assert res.get_json()["error"]["param"] == "x-portkey-config.targets[1].api_key"
