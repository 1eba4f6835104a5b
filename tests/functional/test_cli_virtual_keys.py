from __future__ import annotations

import pytest
from click.testing import CliRunner

from gateway.cli import io as cli_io
from gateway.cli import main
from gateway.credentials import open_credentials
from gateway.errors import VirtualKeyDisabled, VirtualKeyNotFound
from gateway.settings import Settings
from gateway.store.database import Database
from tests.factories import PROVIDER_KEY
from tests.functional.conftest import stored_bytes

NEW_KEY = "sk-test-ROTATEDKEY9876543210zyxwvuWXYZ"


class Session:
    """Runs commands and keeps every byte they printed, for the leak assertions."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        self.printed: list[str] = []

    def __call__(self, *args: str, input: str | None = None, code: int = 0):
        out = self.runner.invoke(main, ["virtual-keys", *args], input=input)
        self.printed.append(out.output)
        assert out.exit_code == code, out.output
        return out


def creds(data_dir):
    settings = Settings(data_dir=str(data_dir))
    return open_credentials(settings, Database.from_settings(settings))


def test_create_list_show_rotate_disable_enable_delete(data_dir):
    vk = Session()
    out = vk(
        *("create", "azure-prod", "--provider", "azure-openai"),
        *("--base-url", "https://res.openai.azure.com/"),
        *("--field", "resource_name=res", "--field", "deployment_id=dall-e-3"),
        *("--team", "team-a", "--team", "team-b"),
        input=PROVIDER_KEY + "\n",
    )
    assert out.stdout == "created virtual key azure-prod (azure-openai, ...CDEF)\n"
    vk("create", "open", "--provider", "openai", input="sk-open-0000000000000000")

    lines = vk("list").stdout.splitlines()
    assert lines[0].split() == [
        "name",
        "provider",
        "hint",
        "teams",
        "disabled",
        "created",
        "updated",
    ]
    assert lines[1].split()[:5] == ["azure-prod", "azure-openai", "...CDEF", "team-a,team-b", "no"]
    assert lines[2].split()[:5] == ["open", "openai", "...0000", "(all)", "no"]

    shown = vk("show", "azure-prod").stdout.splitlines()
    assert shown[:5] == [
        "name: azure-prod",
        "provider: azure-openai",
        "hint: ...CDEF",
        "teams: team-a,team-b",
        "disabled: no",
    ]
    assert shown[8:] == [
        "base_url: https://res.openai.azure.com",
        "field deployment_id: dall-e-3",
        "field resource_name: res",
    ]
    key = creds(data_dir).resolve_virtual_key("azure-prod", "team-b")
    assert (key.secret, key.fields) == (
        PROVIDER_KEY,
        {"deployment_id": "dall-e-3", "resource_name": "res"},
    )

    assert vk("rotate", "azure-prod", input=NEW_KEY).stdout == "rotated the secret of azure-prod\n"
    assert creds(data_dir).resolve_virtual_key("azure-prod", "team-a").secret == NEW_KEY
    assert "...WXYZ" in vk("show", "azure-prod").stdout

    assert vk("disable", "azure-prod").stdout == "disabled azure-prod\n"
    assert "disabled: yes" in vk("show", "azure-prod").stdout
    with pytest.raises(VirtualKeyDisabled):
        creds(data_dir).resolve_virtual_key("azure-prod", "team-a")
    assert vk("enable", "azure-prod").stdout == "enabled azure-prod\n"
    assert vk("delete", "azure-prod").stdout == "deleted azure-prod\n"
    with pytest.raises(VirtualKeyNotFound):
        creds(data_dir).resolve_virtual_key("azure-prod", "team-a")

    for missing in ("show", "rotate", "disable", "enable", "delete"):
        out = vk(missing, "azure-prod", input=NEW_KEY, code=1)
        assert out.stderr == "Error: no virtual key named 'azure-prod'\n"

    printed = "".join(vk.printed)
    for secret in (PROVIDER_KEY, NEW_KEY, "sk-open-0000000000000000"):
        assert secret not in printed
        assert secret[:-4] not in printed
        assert secret.encode() not in stored_bytes(data_dir)


def test_the_team_restriction_holds(data_dir):
    vk = Session()
    vk("create", "team-only", "--provider", "openai", "--team", "team-a", input=PROVIDER_KEY)
    assert creds(data_dir).resolve_virtual_key("team-only", "team-a").secret == PROVIDER_KEY
    with pytest.raises(VirtualKeyNotFound):
        creds(data_dir).resolve_virtual_key("team-only", "team-b")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "my-llm"], "Invalid value for --provider: unknown provider"),
        (["--provider", "openai", "--field", "resource_name=x"], "'resource_name' is not allowed"),
        (["--provider", "azure-openai", "--field", "resource_name=a.b"], "has an invalid value"),
        (["--provider", "openai", "--base-url", "http://h.example"], "base URL must be https"),
        (["--provider", "openai", "--team", "a b"], "team must be 1-64 letters"),
        (["--provider", "openai", "--secret", PROVIDER_KEY], "No such option"),
    ],
)
def test_bad_input_is_refused_before_the_secret_is_read(data_dir, args, message):
    out = Session()("create", "k", *args, input=PROVIDER_KEY, code=2)
    assert message in out.stderr
    assert PROVIDER_KEY not in out.output


def test_an_http_base_url_is_stored_only_for_a_host_on_the_allowlist(data_dir, monkeypatch):
    vk = Session()
    args = ("--provider", "openai", "--base-url")
    out = vk("create", "intranet", *args, "http://10.0.0.7:8080/v1", input=PROVIDER_KEY, code=2)
    assert "http is allowed only for a scheme://host[:port] listed in" in out.stderr
    assert creds(data_dir).store.virtual_key("intranet") is None

    monkeypatch.setenv("GATEWAY_ALLOWED_CUSTOM_HOSTS", "http://10.0.0.7:8080")
    vk("create", "other-port", *args, "http://10.0.0.7:9090/v1", input=PROVIDER_KEY, code=2)
    vk("create", "intranet", *args, "http://10.0.0.7:8080/v1/", input=PROVIDER_KEY)
    assert vk("show", "intranet").stdout.splitlines()[8] == "base_url: http://10.0.0.7:8080/v1"


def test_secret_problems_never_echo_the_secret(data_dir):
    vk = Session()
    out = vk("create", "k", "--provider", "openai", input="  \n", code=1)
    assert out.stderr == "Error: the secret is empty\n"
    bad = "sk-abc\x00def-0000000000"
    out = vk("create", "k", "--provider", "openai", input=bad, code=1)
    assert out.stderr == "Error: the secret contains control characters\n"
    vk("create", "k", "--provider", "openai", input=PROVIDER_KEY)
    out = vk("create", "k", "--provider", "openai", input=PROVIDER_KEY, code=1)
    assert out.stderr == "Error: a virtual key named 'k' exists already\n"
    assert PROVIDER_KEY not in "".join(vk.printed)


def test_on_a_terminal_the_secret_comes_from_a_hidden_confirmed_prompt(monkeypatch):
    calls = []

    class Terminal:
        def isatty(self):
            return True

    def prompt(text, **kwargs):
        calls.append((text, kwargs))
        return PROVIDER_KEY

    monkeypatch.setattr(cli_io.sys, "stdin", Terminal())
    monkeypatch.setattr(cli_io.click, "prompt", prompt)
    assert cli_io.read_secret("Provider secret") == PROVIDER_KEY
    assert calls == [("Provider secret", {"hide_input": True, "confirmation_prompt": True})]
