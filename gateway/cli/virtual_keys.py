"""``gateway virtual-keys``: provider secrets stored encrypted, shown masked, used by name."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from ..credentials import virtual_keys as vk
from ..errors import SecretUnreadable
from ..store.records import VirtualKeyInfo
from .io import open_admin, print_table, read_secret, when

P = ParamSpec("P")
T = TypeVar("T")


def _checked(hint: str, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a validator; its ValueError becomes click's usage error naming the option."""
    try:
        return check(*args, **kwargs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


def _secret() -> str:
    try:
        return vk.check_secret(read_secret("Provider secret"))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None  # the message never quotes the input


def _missing(name: str) -> click.ClickException:
    return click.ClickException(f"no virtual key named {name!r}")


@click.group("virtual-keys")
def virtual_keys() -> None:
    """Virtual keys: provider secrets that callers use by name (x-portkey-virtual-key)."""


@virtual_keys.command()
@click.argument("name")
@click.option("--provider", required=True, help="Provider id, e.g. openai, azure-openai.")
@click.option(
    "--base-url",
    help="Admin-set https endpoint stored with the key (http only if on "
    "GATEWAY_ALLOWED_CUSTOM_HOSTS).",
)
@click.option("--field", "fields", multiple=True, help="Provider field key=value (repeatable).")
@click.option("--team", "teams", multiple=True, help="Team allowed to use it (default: all).")
def create(
    name: str, provider: str, base_url: str | None, fields: tuple[str, ...], teams: tuple[str, ...]
) -> None:
    """Store a provider secret under NAME; the secret comes from stdin or a hidden prompt."""
    _checked("NAME", vk.check_name, name)
    _checked("--provider", vk.check_provider, provider)
    parsed = _checked("--field", vk.check_fields, provider, fields)
    for team in teams:
        _checked("--team", vk.check_name, team, "team")
    settings, creds = open_admin()
    # http only for an intranet host on GATEWAY_ALLOWED_CUSTOM_HOSTS (checked again at use).
    allowed = settings.allowed_custom_hosts
    url = _checked("--base-url", vk.check_base_url, base_url, allowed) if base_url else None
    secret, now = _secret(), time.time()
    info = VirtualKeyInfo(
        id="vk_" + secrets.token_hex(8),
        name=name,
        provider=provider,
        hint=vk.hint(secret),
        base_url=url,
        fields=parsed,
        teams=tuple(sorted(set(teams))),
        disabled_at=None,
        created_at=now,
        updated_at=now,
    )
    try:
        creds.store.add_virtual_key(info, secret)
    except KeyError:
        raise click.ClickException(f"a virtual key named {name!r} exists already") from None
    click.echo(f"created virtual key {name} ({provider}, ...{info.hint or '****'})")


def _row(info: VirtualKeyInfo) -> tuple[str, ...]:
    return (
        info.name,
        info.provider,
        f"...{info.hint}" if info.hint else "****",
        ",".join(info.teams) or "(all)",
        "yes" if info.disabled_at else "no",
        when(info.created_at),
        when(info.updated_at),
    )


@virtual_keys.command("list")
def list_keys() -> None:
    """List virtual keys, masked: never the secret."""
    _, creds = open_admin()
    columns = ("name", "provider", "hint", "teams", "disabled", "created", "updated")
    print_table(columns, [_row(info) for info in creds.store.list_virtual_keys()])


@virtual_keys.command()
@click.argument("name")
def show(name: str) -> None:
    """Show one virtual key, masked: never the secret."""
    _, creds = open_admin()
    info = creds.store.virtual_key(name)
    if info is None:
        raise _missing(name)
    labels = ("name", "provider", "hint", "teams", "disabled", "created", "updated")
    for label, value in zip(labels, _row(info), strict=True):
        click.echo(f"{label}: {value}")
    click.echo(f"id: {info.id}")
    click.echo(f"base_url: {info.base_url or '(provider default)'}")
    for key, value in sorted(info.fields.items()):
        click.echo(f"field {key}: {value}")


@virtual_keys.command()
@click.argument("name")
def rotate(name: str) -> None:
    """Replace the secret of NAME (new secret from stdin or a hidden prompt)."""
    _, creds = open_admin()
    if creds.store.virtual_key(name) is None:
        raise _missing(name)
    secret = _secret()
    try:
        done = creds.store.replace_secret(name, secret, vk.hint(secret), time.time())
    except SecretUnreadable as exc:
        raise click.ClickException(exc.message) from None
    if not done:
        raise _missing(name)
    click.echo(f"rotated the secret of {name}")


def _toggle(name: str, disabled: bool) -> None:
    _, creds = open_admin()
    if not creds.store.set_disabled(name, disabled, time.time()):
        raise _missing(name)
    click.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@virtual_keys.command()
@click.argument("name")
def disable(name: str) -> None:
    """Refuse requests that use NAME until it is enabled again."""
    _toggle(name, True)


@virtual_keys.command()
@click.argument("name")
def enable(name: str) -> None:
    """Accept requests that use NAME again."""
    _toggle(name, False)


@virtual_keys.command()
@click.argument("name")
def delete(name: str) -> None:
    """Delete NAME and its secret."""
    _, creds = open_admin()
    if not creds.store.delete_virtual_key(name):
        raise _missing(name)
    click.echo(f"deleted {name}")
