"""``gateway api-keys``: one key per team, printed once, stored as an HMAC digest; its limits."""

from __future__ import annotations

import re
import time

import click

from ..cost import dollars
from ..credentials import api_keys as keys
from ..credentials.virtual_keys import check_name
from ..money import usd
from ..store.records import LIMIT_FIELDS
from .io import open_admin, print_table, when


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


# Requests or images per minute: the columns are 32-bit INTEGER on PostgreSQL.
MAX_PER_MINUTE = 2**31 - 1


def _whole(text: str, flag: str) -> int | None:
    """A count per minute: ASCII digits only (no ``²``), 1 to :data:`MAX_PER_MINUTE`."""
    if text.strip().lower() == "none":
        return None
    if not re.fullmatch(r"[0-9]{1,10}", text.strip()) or not 1 <= int(text) <= MAX_PER_MINUTE:
        raise click.BadParameter(
            f"use a whole number from 1 to {MAX_PER_MINUTE}, or none", param_hint=flag
        )
    return int(text)


def _usd(text: str, flag: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return usd(text.strip())
    except ValueError as exc:
        raise click.BadParameter(f"{exc}, or none", param_hint=flag) from None


@api_keys.command()
@click.argument("key_id_or_team")
@click.option("--rpm", help="Requests per minute (none: no limit).")
@click.option("--ipm", help="Images per minute (none: no limit).")
@click.option("--daily-usd", help="Spend per UTC day in dollars (none: no limit).")
@click.option("--monthly-usd", help="Spend per UTC month in dollars (none: no limit).")
@click.option("--clear", is_flag=True, help="Remove every limit first.")
def limits(
    key_id_or_team: str,
    rpm: str | None,
    ipm: str | None,
    daily_usd: str | None,
    monthly_usd: str | None,
    clear: bool,
) -> None:
    """Show or set the limits of the key with this id, or of each active key of a team.

    Limits belong to keys, not teams: a team name sets the same limits on each of the
    team's current keys, and each key keeps its own counters and budget (a team with
    3 keys and --daily-usd 10 may spend $30 a day). A key created later has no limits
    until they are set on it. Over a limit a request is answered 429 with Retry-After;
    options not given are kept.
    """
    changes: dict[str, int | None] = dict.fromkeys(LIMIT_FIELDS) if clear else {}
    given = (
        ("limit_rpm", rpm, "--rpm", _whole),
        ("limit_ipm", ipm, "--ipm", _whole),
        ("limit_daily_micro_usd", daily_usd, "--daily-usd", _usd),
        ("limit_monthly_micro_usd", monthly_usd, "--monthly-usd", _usd),
    )
    for field, value, flag, parse in given:
        if value is not None:
            changes[field] = parse(value, flag)
    _, creds = open_admin()
    changed = creds.store.set_api_key_limits(key_id_or_team, changes) if changes else 0
    if changes and not changed:
        raise click.ClickException(f"no active key has the id or team {key_id_or_team!r}")
    active = [r for r in creds.store.list_api_keys() if r.revoked_at is None]
    shown = [r for r in active if r.id == key_id_or_team] or [
        r for r in active if r.name == key_id_or_team
    ]
    if not shown:
        raise click.ClickException(f"no active key has the id or team {key_id_or_team!r}")
    print_table(
        ("id", "name", "rpm", "ipm", "daily_usd", "monthly_usd"),
        [
            (
                r.id,
                r.name,
                _shown(r.limit_rpm),
                _shown(r.limit_ipm),
                _shown(r.limit_daily_micro_usd, money=True),
                _shown(r.limit_monthly_micro_usd, money=True),
            )
            for r in shown
        ],
    )
    if changed and shown[0].id != key_id_or_team:  # set by team name
        keys = f"{changed} key{'s' if changed > 1 else ''}"
        click.echo(
            f"set on each current key of team {key_id_or_team!r} ({keys}, each with its own "
            "limits and budget); a key created later has no limits until they are set on it",
            err=True,
        )


def _shown(value: int | None, money: bool = False) -> str:
    if value is None:
        return "-"
    return dollars(value) if money else str(value)
