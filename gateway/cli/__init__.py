"""The ``gateway`` command: operator tasks that need no running server.

One module per command group; they talk to ``store`` and ``credentials``, never to ``api``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime, timezone

import click

from .. import check_settings
from ..settings import Settings, SettingsError
from ..store.database import Database, StoreError
from ..store.request_log import query
from . import api_keys, cache, configs, db, master_key, usage, virtual_keys

_DURATION = re.compile(r"^(\d+)([smhd])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _settings() -> Settings:
    try:
        settings = Settings.from_env()
        check_settings(settings)
        return settings
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def parse_since(value: str | None, now: float) -> float | None:
    """``15m``, ``2h``, ``7d`` ago, or an ISO 8601 time (UTC when no zone is given)."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter("use 15m, 2h, 7d or an ISO time", param_hint="--since") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


@click.group()
def main() -> None:
    """Operate an image gateway (settings come from GATEWAY_* variables)."""


main.add_command(api_keys.api_keys)
main.add_command(virtual_keys.virtual_keys)
main.add_command(configs.configs)
main.add_command(master_key.master_key)
main.add_command(usage.usage)
main.add_command(cache.cache)
main.add_command(db.db)


@main.command()
def migrate() -> None:
    """Create the data directory and apply database migrations."""
    database = Database.from_settings(_settings())
    try:
        revision = database.migrate()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.dispose()
    click.echo(f"store ready at {database.safe_url} (revision {revision})")


@main.command("check-config")
def check_config() -> None:
    """Validate every GATEWAY_* variable and exit non-zero on the first bad one."""
    _settings()
    click.echo("configuration OK")


@main.command()
@click.option("--trace-id", help="Only rows with this trace id.")
@click.option("--status", help="A status (429) or a class (4xx, 5xx).")
@click.option("--since", help="Rows newer than 15m, 2h, 7d or an ISO time.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def logs(
    trace_id: str | None, status: str | None, since: str | None, limit: int, as_json: bool
) -> None:
    """List recent requests from the request log, newest first."""
    settings = _settings()
    if status and not re.match(r"^([1-5]\d\d|[1-5]xx)$", status, re.IGNORECASE):
        raise click.BadParameter(
            "use a status such as 429 or a class such as 5xx", param_hint="--status"
        )
    after = parse_since(since, time.time())
    with db.reading(settings) as database:
        rows = query(database, trace_id=trace_id, status=status, since=after, limit=limit)
    if as_json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    _print_table(rows)


def _print_table(rows: list[dict[str, object]]) -> None:
    columns = (
        "time",
        "status",
        "provider",
        "model",
        "n",
        "size",
        "latency_ms",
        "error_code",
        "trace_id",
    )
    table = [list(columns)]
    for row in rows:
        when = datetime.fromtimestamp(float(row["created_at"]), timezone.utc)  # type: ignore[arg-type]
        values = [when.strftime("%Y-%m-%dT%H:%M:%SZ"), *(row.get(c) for c in columns[1:])]
        table.append(["-" if v is None else str(v) for v in values])
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
