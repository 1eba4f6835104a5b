"""``gateway usage``: spend, requests, images and cache hits per team and UTC day.

Read from the request log (one row per request, its cost in micro-USD) through the
store (``gateway.store.usage_report``, SQLite or PostgreSQL), read-only: it runs beside
a live server. Spend counts requests whose cost is known; a
successful request without a published price is counted as ``unpriced``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from ..cost import dollars
from ..settings import Settings, SettingsError
from ..store import usage_report
from ..store.database import Database
from .db import reading
from .io import print_table

DAY = 86_400
COLUMNS = ("day", "team", "requests", "errors", "images", "cache_hits", "spend_usd", "unpriced")


def report(database: Database, since: float, team: str | None = None) -> list[dict[str, Any]]:
    """One row per (UTC day, team) from ``since``; ``team`` None: every team."""
    rows = usage_report.report(database, since, team)
    for row in rows:
        row["spend_usd"] = dollars(row["spend_micro_usd"])
    return rows


def day_start(now: float, days: int) -> float:
    """Midnight UTC at the start of the ``days``-th day back (1: today)."""
    return (now // DAY - (days - 1)) * DAY


@click.command()
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 3660), help="Today and before."
)
@click.option("--team", help="Only this team.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def usage(days: int, team: str | None, as_json: bool) -> None:
    """Spend and requests per team and per UTC day, from the request log."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    with reading(settings) as database:
        rows = report(database, day_start(time.time(), days), team)
    if as_json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    table = [[_cell(row[c]) for c in COLUMNS] for row in rows]
    if rows:
        total = ["total", "", *(sum(row[c] for row in rows) for c in COLUMNS[2:6])]
        total += [
            dollars(sum(row["spend_micro_usd"] for row in rows)),
            sum(r["unpriced"] for r in rows),
        ]
        table.append([_cell(v) for v in total])
    print_table(COLUMNS, table)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)
