"""``gateway api-keys``: one key per team, printed once, stored as an HMAC digest."""

from __future__ import annotations

import time

import click

from .cli_io import open_admin, print_table, when
from .credentials import api_keys as keys
from .credentials.virtual_keys import check_name


@click.group("api-keys")
def api_keys() -> None:
    """Gateway API keys (x-portkey-api-key or Authorization: Bearer)."""


@api_keys.command()
@click.option("--name", required=True, help="The team the key identifies.")
def create(name: str) -> None:
    """Create a key for team NAME and print it once, alone on stdout."""
    try:
        check_name(name, "--name")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from None
    _, creds = open_admin()
    key, record = keys.create(creds.store, creds.pepper, name, time.time())
    click.echo(key)
    click.echo(f"created {record.id} for team {name}; it is shown only now", err=True)


@api_keys.command("list")
def list_keys() -> None:
    """List keys: id, team, hint, created, last used, revoked."""
    _, creds = open_admin()
    rows = [
        (r.id, r.name, f"...{r.hint}", when(r.created_at), when(r.last_used_at), when(r.revoked_at))
        for r in creds.store.list_api_keys()
    ]
    print_table(("id", "name", "hint", "created", "last_used", "revoked"), rows)


@api_keys.command()
@click.argument("name_or_id")
def revoke(name_or_id: str) -> None:
    """Revoke the key with this id, or every active key of this team."""
    _, creds = open_admin()
    count = creds.store.revoke_api_keys(name_or_id, time.time())
    if not count:
        raise click.ClickException(f"no active key has the id or team {name_or_id!r}")
    click.echo(f"revoked {count} key{'s' if count > 1 else ''}")
