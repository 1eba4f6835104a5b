"""``gateway cache``: what the simple cache holds, and emptying it.

Safe while the gateway runs: both commands go through the same short store
transactions as the workers (SQLite or PostgreSQL), and a worker that finds an
entry's image gone treats it as a miss.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..cache import CacheStore
from ..settings import Settings, SettingsError
from ..store.cache_index import ERRORS
from ..store.database import Database, StoreError
from .io import print_table, when

# A locked or broken database, a directory that cannot be read, a value that does not
# parse: a one-line error, never a traceback (corrupt rows themselves are skipped).
_BROKEN = (*ERRORS, OSError, ValueError, StoreError)


def _store() -> CacheStore:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    database = Database.from_settings(settings)
    try:
        database.migrate()
    except _BROKEN as exc:
        raise click.ClickException(f"cannot open the store: {exc}") from None
    return CacheStore(database, Path(settings.cache_dir), settings.cache_max_mb << 20)


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


@click.group("cache")
def cache() -> None:
    """The simple image cache (config "cache": {"mode": "simple"})."""


@cache.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def stats(as_json: bool) -> None:
    """Entries, bytes against the budget, hits, and the oldest and newest entry."""
    store = _store()
    try:
        found = store.stats()
    except _BROKEN as exc:
        raise click.ClickException(f"cannot read the cache index: {exc}") from None
    finally:
        store.close()
    if as_json:
        json.dump(found, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    used = found["bytes"] / found["budget_bytes"] * 100
    rows = [
        ("entries", f"{found['entries']} ({found['expired']} expired)"),
        ("bytes", f"{_mb(found['bytes'])} of {_mb(found['budget_bytes'])} ({used:.1f} %)"),
        ("files", f"{found['files']} ({_mb(found['file_bytes'])} on disk)"),
        ("hits", str(found["hits"])),
        ("oldest", when(found["oldest"])),
        ("newest", when(found["newest"])),
    ]
    print_table(("cache", "value"), rows)


@cache.command()
@click.option("--expired", is_flag=True, help="Only expired entries (and files no entry uses).")
def clear(expired: bool) -> None:
    """Remove every entry and cached image, or only the expired ones."""
    store = _store()
    try:
        removed = store.purge_expired() if expired else store.clear()
    except _BROKEN as exc:
        raise click.ClickException(f"cannot clear the cache: {exc}") from None
    finally:
        store.close()
    what = "expired " if expired else ""
    click.echo(f"removed {removed} {what}entr{'y' if removed == 1 else 'ies'}")
