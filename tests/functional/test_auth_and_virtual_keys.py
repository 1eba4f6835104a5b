"""Gateway API keys and virtual keys on the request path."""

from __future__ import annotations

import json
import sqlite3

import pytest
import responses
from click.testing import CliRunner
from responses import matchers

from gateway.cli import main as cli
from tests.factories import OK_BODY, OPENAI_URL, encode, image_body

URL = "/v1/images/generations"
SECRET = "sk-stored-provider-secret-0123456789"


@pytest.fixture
def admin(make_app, monkeypatch):
    """An app plus helpers that run the CLI against its data directory."""
    app = make_app(require_api_key="true", allowed_custom_hosts=("http://127.0.0.1:9",))
    monkeypatch.setenv("GATEWAY_DATA_DIR", app.extensions["gateway"].settings.data_dir)
    runner = CliRunner()

    def run(*args, stdin=None):
        out = runner.invoke(cli, list(args), input=stdin)
        assert out.exit_code == 0, out.output
        return out.output

    app.run_cli = run
    return app


def api_key(app, team):
    return app.run_cli("api-keys", "create", "--name", team).splitlines()[0].strip()


def post(app, **headers):
    return app.test_client().post(
        URL, data=encode(image_body()), headers={"Content-Type": "application/json", **headers}
    )


def test_a_gateway_key_is_required_when_configured(admin):
    res = post(admin, Authorization="Bearer sk-provider-123456")
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "missing_gateway_key"


@pytest.mark.parametrize(
    "presented", ["pkgw_" + "A" * 43 + "_abcdef", "pkgw_short", "pkgw_revoked"]
)
def test_unknown_malformed_and_revoked_keys_get_one_answer(admin, presented):
    if presented == "pkgw_revoked":
        presented = api_key(admin, "gone")
        admin.run_cli("api-keys", "revoke", "gone")
    res = post(admin, **{"x-portkey-api-key": presented, "Authorization": "Bearer sk-p-123456"})
    assert res.status_code == 401
    assert res.get_json()["error"] == {
        "message": "The gateway API key is not valid.",
        "type": "authentication_error",
        "param": "x-portkey-api-key",
        "code": "invalid_gateway_key",
    }


def test_virtual_key_replaces_the_callers_authorization_which_is_never_forwarded(admin):
    key = api_key(admin, "design")
    admin.run_cli(
        "virtual-keys",
        "create",
        "openai-prod",
        "--provider",
        "openai",
        "--team",
        "design",
        stdin=SECRET,
    )
    with responses.RequestsMock() as mock:
        mock.post(
            OPENAI_URL,
            body=OK_BODY,
            content_type="application/json",
            match=[matchers.header_matcher({"Authorization": f"Bearer {SECRET}"})],
        )
        # The OpenAI SDK style: the gateway key in Authorization, the virtual key by header.
        res = post(admin, Authorization=f"Bearer {key}", **{"x-portkey-virtual-key": "openai-prod"})
        sent = mock.calls[0].request.headers
    assert res.status_code == 200
    assert key not in json.dumps(dict(sent))
    state = admin.extensions["gateway"]
    assert state.request_log.flush(5)
    row = (
        sqlite3.connect(state.settings.db_path)
        .execute("SELECT team, virtual_key, status FROM request_log")
        .fetchone()
    )
    assert row == ("design", "openai-prod", 200)


def test_a_virtual_key_of_another_team_is_not_found(admin):
    key = api_key(admin, "ads")
    admin.run_cli(
        "virtual-keys",
        "create",
        "design-only",
        "--provider",
        "openai",
        "--team",
        "design",
        stdin=SECRET,
    )
    res = post(admin, **{"x-portkey-api-key": key, "x-portkey-virtual-key": "design-only"})
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "virtual_key_not_found"


def test_a_virtual_key_never_goes_to_a_caller_chosen_host(admin):
    key = api_key(admin, "design")
    admin.run_cli("virtual-keys", "create", "vk", "--provider", "openai", stdin=SECRET)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        res = post(
            admin,
            **{
                "x-portkey-api-key": key,
                "x-portkey-virtual-key": "vk",
                "x-portkey-custom-host": "http://127.0.0.1:9/v1",
            },
        )
        assert len(mock.calls) == 0
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "custom_host_not_allowed"
    assert SECRET not in res.get_data(as_text=True)


def test_virtual_keys_in_a_config_fall_back_across_stored_keys(admin):
    key = api_key(admin, "design")
    admin.run_cli(
        "virtual-keys", "create", "first", "--provider", "openai", stdin="sk-first-11111111"
    )
    admin.run_cli(
        "virtual-keys", "create", "second", "--provider", "openai", stdin="sk-second-2222222"
    )
    config = {
        "strategy": {"mode": "fallback"},
        "targets": [{"virtual_key": "first"}, {"virtual_key": "second"}],
    }
    with responses.RequestsMock(registry=responses.registries.OrderedRegistry) as mock:
        mock.post(OPENAI_URL, status=500, json={"error": {"message": "sk-first-11111111 down"}})
        mock.post(
            OPENAI_URL,
            body=OK_BODY,
            content_type="application/json",
            match=[matchers.header_matcher({"Authorization": "Bearer sk-second-2222222"})],
        )
        res = post(admin, **{"x-portkey-api-key": key, "x-portkey-config": json.dumps(config)})
    assert res.status_code == 200
    assert res.headers["x-portkey-last-used-option-index"] == "config.targets[1]"


def test_auto_mode_is_open_on_a_fresh_install_and_closed_once_a_team_key_exists(
    make_app, monkeypatch
):
    fresh = make_app()  # GATEWAY_REQUIRE_API_KEY defaults to auto
    assert fresh.extensions["gateway"].settings.require_api_key == "auto"
    with responses.RequestsMock() as mock:
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        assert post(fresh, Authorization="Bearer sk-own-key-123456").status_code == 200
    monkeypatch.setenv("GATEWAY_DATA_DIR", fresh.extensions["gateway"].settings.data_dir)
    out = CliRunner().invoke(cli, ["api-keys", "create", "--name", "design"])
    team_key = out.output.splitlines()[0].strip()
    shared = make_app()  # same data dir: a team key now exists
    res = post(shared, Authorization="Bearer sk-own-key-123456")
    assert (res.status_code, res.get_json()["error"]["code"]) == (401, "missing_gateway_key")
    with responses.RequestsMock() as mock:
        mock.post(OPENAI_URL, body=OK_BODY, content_type="application/json")
        ok = post(
            shared, Authorization="Bearer sk-own-key-123456", **{"x-portkey-api-key": team_key}
        )
    assert ok.status_code == 200
