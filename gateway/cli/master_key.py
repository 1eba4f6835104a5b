"""``gateway master-key rotate``: a new key-encryption key, every secret re-encrypted online."""

from __future__ import annotations

import click

from ..credentials.keyfile import MasterKeyError, is_fernet_key
from ..credentials.rotation import (
    RotationError,
    env_value_with,
    new_key,
    rotate_env_keys,
    rotate_key_file,
)
from ..errors import SecretUnreadable
from .io import open_admin, read_secret


@click.group("master-key")
def master_key() -> None:
    """The key that encrypts provider secrets at rest."""


def _secrets(count: int) -> str:
    return f"{count} secret{'' if count == 1 else 's'}"


def _key_from_stdin() -> str:
    key = read_secret("New master key").strip()
    if not is_fernet_key(key):
        raise click.ClickException("standard input does not hold a Fernet key")
    return key


@master_key.command()
@click.option(
    "--new-key-from-stdin",
    "from_stdin",
    is_flag=True,
    help="Use this new key (read from stdin) instead of generating one.",
)
def rotate(from_stdin: bool) -> None:
    """Rotate the master key and re-encrypt every provider secret.

    \b
    Key file (GATEWAY_MASTER_KEY unset): one step; running workers re-read the
    file when a secret does not decrypt, so they need no restart.
    GATEWAY_MASTER_KEY: (1) run without options: prints the new value (new,old);
    set it on every worker and restart them; (2) run with --new-key-from-stdin,
    the new key on stdin, to re-encrypt; (3) set GATEWAY_MASTER_KEY to the new key.
    """
    settings, creds = open_admin()
    key = _key_from_stdin() if from_stdin else None
    try:
        if not settings.master_keys:
            count = rotate_key_file(settings.master_key_path, creds.store, key)
            click.echo(f"rotated {settings.master_key_path}; re-encrypted {_secrets(count)}")
        elif key is None:
            click.echo(env_value_with(settings, new_key()))
            click.echo(
                "set GATEWAY_MASTER_KEY to the line above everywhere and restart the "
                "workers, then run: gateway master-key rotate --new-key-from-stdin "
                "(with the new key, its first entry, on stdin)",
                err=True,
            )
        else:
            count = rotate_env_keys(settings, creds.store, key)
            click.echo(
                f"re-encrypted {_secrets(count)}; now set GATEWAY_MASTER_KEY to the new key "
                "alone and restart the workers"
            )
    except (RotationError, MasterKeyError) as exc:
        raise click.ClickException(str(exc)) from None
    except SecretUnreadable as exc:
        raise click.ClickException(exc.message) from None
