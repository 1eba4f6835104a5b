"""Master key rotation without downtime (SEC-6).

Key file (``<data_dir>/master.key``):
  1. write ``new`` in front of the old keys: workers that meet a row they cannot
     decrypt re-read the file (crypto.SecretBox) and find the new key;
  2. re-encrypt every secret in one transaction (``MultiFernet.rotate``; the rows
     locked, ``BEGIN IMMEDIATE`` on SQLite) and decrypt every row with the new key
     alone before committing: either all rows move or none does;
  3. drop the old keys from the file.
A failure after step 1 leaves the new key first and the old ones after it, which
every worker can read, and changes no row; rotating again is safe.

``GATEWAY_MASTER_KEY``: the environment cannot be re-read by running workers, so
the operator first sets ``new,old`` everywhere and restarts, then re-encrypts with
``--new-key-from-stdin``, then sets ``new`` alone.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.fernet import Fernet

from ..settings import Settings
from .crypto import SecretBox
from .keyfile import format_keys, read_keys, replace_private
from .store import KeyStore


class RotationError(RuntimeError):
    """Rotation refused before any change; the message says what to do."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


@contextmanager
def _exclusive(path: str) -> Iterator[None]:
    """One rotation at a time: two interleaved ones would each drop the other's key."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def rotate_key_file(path: str, store: KeyStore, key: str | None = None) -> int:
    """Steps 1-3 above; return the number of secrets re-encrypted."""
    with _exclusive(path):
        old = read_keys(path)
        key = key or new_key()
        if key in old:
            raise RotationError(f"the new key is already in {path}")
        replace_private(path, format_keys([key, *old]))
        count = store.rewrap_secrets(SecretBox.from_keys([key, *old]), SecretBox.from_keys([key]))
        replace_private(path, format_keys([key]))
        return count


def env_value_with(settings: Settings, key: str) -> str:
    """The ``GATEWAY_MASTER_KEY`` value to deploy before re-encrypting: new key first."""
    return ",".join([key, *settings.master_keys])


def rotate_env_keys(settings: Settings, store: KeyStore, key: str) -> int:
    """Re-encrypt every secret with ``key``, which must already lead ``GATEWAY_MASTER_KEY``."""
    if not settings.master_keys or settings.master_keys[0] != key:
        raise RotationError(
            "GATEWAY_MASTER_KEY must list the new key first (new,old) here and on every "
            "worker before secrets are re-encrypted; run `gateway master-key rotate` "
            "without --new-key-from-stdin to get that value"
        )
    keys = list(settings.master_keys)
    return store.rewrap_secrets(SecretBox.from_keys(keys), SecretBox.from_keys([key]))
