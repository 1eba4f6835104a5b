"""``gateway configs``: saved routing configs, versioned; callers name them in x-portkey-config."""

from __future__ import annotations

import json
import time
from typing import BinaryIO

import click

from ..credentials.configs import MAX_CONFIG_BYTES, ConfigRejected, canonical, validate
from ..credentials.virtual_keys import check_name
from ..strict_json import is_json
from .io import open_admin, print_table, when


def _name(name: str) -> str:
    try:
        checked = check_name(name, "NAME")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    if is_json(checked):  # x-portkey-config would read it as inline JSON, not a name
        raise click.BadParameter("must not read as JSON (42, true, null)", param_hint="NAME")
    return checked


@click.group()
def configs() -> None:
    """Saved configs (x-portkey-config: NAME instead of inline JSON)."""


@configs.command()
@click.argument("name")
@click.option("--file", "source", type=click.File("rb"), required=True, help="JSON file, or -.")
def put(name: str, source: BinaryIO) -> None:
    """Validate a config file and store it as NAME's next version (unless unchanged)."""
    _name(name)
    try:
        config = validate(source.read(MAX_CONFIG_BYTES + 1))
    except ConfigRejected as exc:
        raise click.ClickException(f"config not saved: {exc}") from None
    _, creds = open_admin()
    version, created = creds.store.put_config(name, canonical(config), time.time())
    click.echo(f"{name} version {version}" + ("" if created else " (unchanged)"))


@configs.command()
@click.argument("name")
@click.option("--version", type=click.IntRange(min=1), help="A past version (default: latest).")
def get(name: str, version: int | None) -> None:
    """Print a config as JSON."""
    _, creds = open_admin()
    found = creds.store.config(_name(name), version)
    if found is None:
        suffix = f" version {version}" if version else ""
        raise click.ClickException(f"no config named {name!r}{suffix}")
    click.echo(json.dumps(json.loads(found[1]), indent=2, ensure_ascii=False))


@configs.command("list")
def list_configs() -> None:
    """List configs: name, latest version, when it was saved."""
    _, creds = open_admin()
    rows = [(c.name, str(c.version), when(c.updated_at)) for c in creds.store.list_configs()]
    print_table(("name", "version", "updated"), rows)


@configs.command()
@click.argument("name")
def delete(name: str) -> None:
    """Delete every version of NAME (numbering continues if NAME is saved again)."""
    _, creds = open_admin()
    if not creds.store.delete_config(_name(name), time.time()):
        raise click.ClickException(f"no config named {name!r}")
    click.echo(f"deleted {name}")
