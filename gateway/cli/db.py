"""``gateway db``: the store as a whole (``gateway db copy``), and the CLI's read access.

Target URLs may hold a password, and a command line is visible to every user of the
machine (``ps``) and kept in shell history: ``--to`` takes only a URL without one,
``--to-env`` the *name* of an environment variable that holds the URL, and ``--to -``
reads it from standard input.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..settings import Settings, SettingsError
from ..store import copy as store_copy
from ..store import secrets
from ..store.database import Database, StoreError
from ..store.engine import ENV, DatabaseURLError, normalise
from ..store.health import missing_file, reason, where
from .io import print_table

MAX_URL_CHARS = 4096
NEEDS_MASTER_KEY = (
    "set GATEWAY_MASTER_KEY first: instances on PostgreSQL share the master key from the "
    "environment. Use the key this install has (the content of <data dir>/master.key), "
    "or the virtual keys' secrets copied will not decrypt."
)


@contextmanager
def reading(settings: Settings) -> Iterator[Database]:
    """The store for a read-only command; never creates a SQLite file, and any failure
    is one clean line (``cannot read ...``) without a password."""
    database = Database.from_settings(settings)
    try:
        missing = missing_file(database)
        if missing is not None:
            raise click.ClickException(f"cannot read the store: {missing}")
        try:
            yield database
        except (SQLAlchemyError, OSError) as exc:
            raise click.ClickException(f"cannot read {where(database)}: {reason(exc)}") from None
    finally:
        database.dispose()


@click.group("db")
def db() -> None:
    """The store as a whole: copy it to another database."""


@db.command("copy")
@click.option(
    "--to-env",
    "to_env",
    metavar="VAR",
    help="The NAME of an environment variable holding the target URL "
    "(postgresql://user:password@host/db). The way to pass a password.",
)
@click.option(
    "--to",
    "to_url",
    metavar="URL",
    help="The target URL, WITHOUT a password (ps and shell history would show it): "
    "libpq's PGPASSWORD or ~/.pgpass supply one, or use --to-env. '-' reads the URL "
    "from standard input.",
)
def copy(to_env: str | None, to_url: str | None) -> None:
    """Copy the whole store into an empty database, then verify it row by row.

    The source is the gateway's store (GATEWAY_DATABASE_URL, or the SQLite file in
    GATEWAY_DATA_DIR), at the latest revision ('gateway migrate'). The target is
    migrated, refused if any gateway table in it holds rows, and filled in one
    transaction (a failed copy leaves it empty). Then every table is compared row by
    row; any difference exits non-zero. The copy reads one consistent snapshot; rows a
    running gateway writes after it started are not copied, so stop the gateway first,
    then point GATEWAY_DATABASE_URL at the target. Hosted images (links last an hour) and
    the cache are not copied: the target's cache starts empty. On PostgreSQL the
    pepper, URL-signing and cache keys are copied from the data directory's files,
    encrypted under GATEWAY_MASTER_KEY (required: set it to this install's key).
    """
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    source = Database.from_settings(settings)
    target_url = _target_url(to_env, to_url, settings.data_dir)
    target = Database(target_url, data_dir=settings.data_dir)
    if not target.is_sqlite and not settings.master_keys:
        raise click.ClickException(NEEDS_MASTER_KEY)
    click.echo(f"copying {where(source)} to {where(target)}", err=True)
    try:
        reports = store_copy.copy(source, target, echo=lambda line: click.echo(line, err=True))
        if all(r.ok for r in reports) and not target.is_sqlite:
            # The pepper (API key digests), the URL-signing and the cache keys: from this
            # data directory's files into the target, encrypted under the master key.
            secrets.load(dataclasses.replace(settings, database_url=target_url), target)
    except (store_copy.CopyError, StoreError, secrets.SharedSecretError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        source.dispose()
        target.dispose()
    _summary(reports)
    bad = [r.table for r in reports if not r.ok]
    if bad:
        raise click.ClickException(f"the copy differs from the source in: {', '.join(bad)}")
    total = sum(r.source_rows for r in reports)
    click.echo(f"copied and verified {total} rows in {len(reports)} tables", err=True)


def _target_url(to_env: str | None, to_url: str | None, data_dir: str) -> str:
    if (to_env is None) == (to_url is None):
        raise click.UsageError("give the target with exactly one of --to-env VAR and --to URL")
    if to_env is not None:
        raw, origin = _from_env(to_env), f"--to-env {to_env}"
    elif to_url == "-":
        raw, origin = sys.stdin.read(MAX_URL_CHARS + 1).strip(), "standard input"
        if len(raw) > MAX_URL_CHARS:
            raise click.BadParameter("standard input is too long for a URL", param_hint="--to")
    else:
        raw, origin = str(to_url).strip(), "--to"
        if _password(raw):
            raise click.BadParameter(
                "the URL holds a password, which ps and shell history show; put the URL in "
                "an environment variable and pass its name with --to-env (or use "
                "PGPASSWORD or ~/.pgpass)",
                param_hint="--to",
            )
    try:
        return normalise(raw, data_dir)
    except DatabaseURLError as exc:
        raise click.BadParameter(str(exc).replace(f"{ENV}: ", ""), param_hint=origin) from None


def _from_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise click.BadParameter(f"the variable {name} is not set or empty", param_hint="--to-env")
    return value


def _password(raw: str) -> bool:
    try:
        return make_url(raw).password is not None
    except ArgumentError:
        return False  # not a URL at all: normalise says so, without echoing it


def _summary(reports: list[store_copy.TableReport]) -> None:
    rows = []
    for r in reports:
        if r.ok:
            result = "ok"
        else:
            counts = {"missing": r.missing, "extra": r.extra, "different": r.different}
            result = "MISMATCH " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        rows.append([r.table, str(r.source_rows), str(r.target_rows), result])
    print_table(("table", "source_rows", "target_rows", "result"), rows)
    for r in reports:
        for example in r.examples:
            click.echo(f"  {r.table}: {example}", err=True)
