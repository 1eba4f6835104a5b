"""What the admin commands share: opening the store, reading secrets, printing tables.

Secrets come from standard input when it is not a terminal (scripts, pipes) or a
hidden prompt otherwise, never from argv, where ``ps`` and shell history see them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import click

from ..credentials import Credentials, MasterKeyError, open_credentials
from ..settings import Settings, SettingsError
from ..store.database import Database, StoreError

MAX_STDIN_CHARS = 65_536


def open_admin() -> tuple[Settings, Credentials]:
    """Settings, a migrated store and the credentials; any problem is a clean CLI error.

    The store's connections close when the command ends (tests run many in one process).
    """
    try:
        settings = Settings.from_env()
        database = Database.from_settings(settings)
        database.migrate()
        context = click.get_current_context(silent=True)
        if context is not None:
            context.call_on_close(database.dispose)
        return settings, open_credentials(settings, database)
    except (SettingsError, MasterKeyError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None


def read_secret(prompt: str) -> str:
    """One secret from stdin (not a TTY) or a hidden, confirmed prompt."""
    if not sys.stdin.isatty():
        text = sys.stdin.read(MAX_STDIN_CHARS + 1)
        if len(text) > MAX_STDIN_CHARS:
            raise click.ClickException("standard input is too long for a secret")
        return text
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


def when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    table = [list(columns), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    for line in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
