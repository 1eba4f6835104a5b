"""The secrets every instance must agree on: the API-key pepper, the URL-signing key, the
cache key.

Each comes, first match wins, from

1. the environment: ``GATEWAY_PEPPER``, ``GATEWAY_URL_SIGNING_KEY``,
   ``GATEWAY_CACHE_KEY`` (the pepper and the cache key as their files hold them:
   URL-safe base64 of 32 bytes or more; the signing key as text);
2. with PostgreSQL, the ``secrets`` table, each a Fernet token under the master key
   (``GATEWAY_MASTER_KEY``, which must then come from the environment: a key in one
   machine's file cannot be shared). The first instance to start creates what is
   missing, in one transaction: ``INSERT ... ON CONFLICT DO NOTHING``, in one name
   order, then a read back, so instances starting together wait for the first one's
   commit and all read its values. A new secret is the data directory's file when
   there is one (an install moving from SQLite keeps its API keys and cache keys),
   else random;
3. on SQLite (the embedded default), files in the data directory, created once, as
   before: ``pepper``, ``url-signing.key``, ``cache.key``.

A token is bound to its name (``SecretBox`` contexts), so one copied onto another row
does not decrypt. Every message names the secret and the variable, never a value.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import GatewayError
from .database import Database, StoreError
from .engine import database_url, is_sqlite
from .tables import shared_secrets

if TYPE_CHECKING:
    from ..credentials.crypto import SecretBox

log = logging.getLogger("gateway.store")

PEPPER = "pepper"
URL_SIGNING_KEY = "url_signing_key"
CACHE_KEY = "cache_key"
#: The URL-signing key's file in the data directory (``load_key``).
KEY_FILE = "url-signing.key"
#: Sorted: every instance inserts in this order, so concurrent start-ups never deadlock.
NAMES = (CACHE_KEY, PEPPER, URL_SIGNING_KEY)
_VARIABLES = {
    PEPPER: "GATEWAY_PEPPER",
    URL_SIGNING_KEY: "GATEWAY_URL_SIGNING_KEY",
    CACHE_KEY: "GATEWAY_CACHE_KEY",
}
_MIN_BYTES = 32
NEEDS_MASTER_KEY = (
    "GATEWAY_MASTER_KEY: required when GATEWAY_DATABASE_URL is PostgreSQL (the instances "
    "share their secrets through the database, encrypted under it, and a master key in "
    "one machine's data directory cannot be shared); generate one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' "
    "and give every instance the same value"
)


class SharedSecretError(StoreError):
    """A shared secret is missing, malformed or does not decrypt; no value is quoted.
    A :class:`StoreError`: gunicorn stops on it with one line (``gunicorn.conf.py``)."""


class SecretSettings(Protocol):
    """What :func:`load` reads of :class:`gateway.settings.Settings`."""

    data_dir: str
    database_url: str | None
    master_keys: tuple[str, ...]
    pepper: bytes | None
    url_signing_key: str | None
    cache_key: bytes | None

    @property
    def pepper_path(self) -> str: ...

    @property
    def cache_key_path(self) -> str: ...


@dataclass(frozen=True)
class SharedSecrets:
    pepper: bytes = field(repr=False)
    url_signing_key: bytes = field(repr=False)
    cache_key: bytes = field(repr=False)


def load(
    settings: SecretSettings,
    database: Database | None = None,
    clock: Callable[[], float] = time.time,
) -> SharedSecrets:
    """The three secrets (see the module); ``database`` is the app's, or one is built
    from the settings for the call (the CLI)."""
    values = _from_environment(settings)
    sqlite_store = database.is_sqlite if database is not None else is_sqlite(database_url(settings))
    if sqlite_store:
        values.update(_from_files(settings, [name for name in NAMES if name not in values]))
    elif not settings.master_keys:
        raise SharedSecretError(NEEDS_MASTER_KEY)
    elif len(values) < len(NAMES):
        missing = [name for name in NAMES if name not in values]
        own = database is None
        db = database or Database(database_url(settings), data_dir=settings.data_dir, pool_size=1)
        try:
            values.update(_from_database(settings, db, missing, clock))
        finally:
            if own:
                db.dispose()
    return SharedSecrets(values[PEPPER], values[URL_SIGNING_KEY], values[CACHE_KEY])


def _from_environment(settings: SecretSettings) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    if settings.pepper:
        values[PEPPER] = settings.pepper
    if settings.url_signing_key:
        values[URL_SIGNING_KEY] = settings.url_signing_key.encode()
    if settings.cache_key:
        values[CACHE_KEY] = settings.cache_key
    return values


def load_key(directory: Path, configured: str | None) -> bytes:
    """The URL-signing key: the setting, else the data directory's key file (made once)."""
    if configured:
        return configured.encode()
    path = directory / KEY_FILE
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    for _ in range(50):  # another worker may be between create and write
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)
    raise GatewayError(f"The URL signing key file {path} is empty.")


def _from_files(settings: SecretSettings, names: list[str]) -> dict[str, bytes]:
    """The embedded default's files, created at first use (as before this module)."""
    from ..credentials.keyfile import load_or_create_pepper

    if not names:
        return {}
    os.makedirs(settings.data_dir, mode=0o700, exist_ok=True)
    loaders = {
        PEPPER: lambda: load_or_create_pepper(settings.pepper_path),
        URL_SIGNING_KEY: lambda: load_key(Path(settings.data_dir), None),
        CACHE_KEY: lambda: load_or_create_pepper(settings.cache_key_path),
    }
    return {name: loaders[name]() for name in names}


def _from_database(
    settings: SecretSettings, database: Database, names: list[str], clock: Callable[[], float]
) -> dict[str, bytes]:
    from ..credentials.crypto import SecretBox
    from ..errors import SecretUnreadable

    box = SecretBox.from_keys(list(settings.master_keys))
    with database.write() as conn:
        tokens = _read(conn, names)
        absent = [name for name in names if name not in tokens]
        if absent:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for name in absent:  # NAMES order
                token = box.encrypt(_context(name), _seed(settings, name))
                created = conn.execute(
                    dialect.insert(shared_secrets)
                    .values(name=name, ciphertext=token, created_at=clock())
                    .on_conflict_do_nothing(index_elements=[shared_secrets.c.name])
                ).rowcount
                if created:
                    log.info("shared secret %s created in the database", name)
            tokens = _read(conn, names)  # ours, or those of an instance that was first
    values = {}
    for name in names:
        try:
            text = box.decrypt(_context(name), tokens[name])
        except SecretUnreadable:
            raise SharedSecretError(
                f"the shared secret {name!r} in {database.safe_url} does not decrypt with "
                "GATEWAY_MASTER_KEY: every instance needs the master key the first one "
                "started with (newest first, older ones after it)"
            ) from None
        values[name] = _decode(name, text, f"the shared secret {name!r} in the database")
    _warn_if_files_differ(settings, values)
    return values


def _read(conn: Connection, names: list[str], *, lock: bool = False) -> dict[str, str]:
    query = select(shared_secrets.c.name, shared_secrets.c.ciphertext).where(
        shared_secrets.c.name.in_(names)
    )
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row[0]: row[1] for row in conn.execute(query)}


def _context(name: str) -> str:
    return f"secret1:{name}"


def _seed(settings: SecretSettings, name: str) -> str:
    """A new secret's text: the data directory's file for it, if any, else random."""
    path = _file_of(settings, name)
    if path.exists():
        from ..credentials.keyfile import MasterKeyError, read_private

        try:
            text = read_private(str(path)).decode("ascii").strip()
            _decode(name, text, str(path))
        except (MasterKeyError, SharedSecretError, UnicodeDecodeError) as exc:
            log.warning("%s not used for the shared secret %s: %s", path, name, exc)
        else:
            log.info("shared secret %s taken from %s", name, path)
            return text
    if name == URL_SIGNING_KEY:
        return secrets.token_hex(32)  # as the key file was made
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _file_of(settings: SecretSettings, name: str) -> Path:
    if name == PEPPER:
        return Path(settings.pepper_path)
    if name == CACHE_KEY:
        return Path(settings.cache_key_path)
    return Path(settings.data_dir) / KEY_FILE


def _decode(name: str, text: str, where: str) -> bytes:
    """The key a secret's text stands for (as its file is read)."""
    if name == URL_SIGNING_KEY:
        if len(text) < _MIN_BYTES:
            raise SharedSecretError(f"{where} is malformed (expected 32 characters or more)")
        return text.encode()
    try:
        value = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        value = b""
    if len(value) < _MIN_BYTES:
        raise SharedSecretError(
            f"{where} is malformed (expected 32 bytes or more in URL-safe base64)"
        )
    return value


def _warn_if_files_differ(settings: SecretSettings, values: dict[str, bytes]) -> None:
    """An operator who kept a data directory's file should know it is not used."""
    for name, value in values.items():
        path = _file_of(settings, name)
        try:
            text = path.read_text(encoding="ascii").strip()
            differs = _decode(name, text, str(path)) != value
        except (OSError, UnicodeDecodeError, SharedSecretError):
            continue
        if differs:
            log.warning(
                "%s differs from the shared secret %s in the database: the database's is used "
                "(set %s to override both)",
                path,
                name,
                _VARIABLES[name],
            )


def rotate_all(conn: Connection, box: SecretBox) -> int:
    """Re-encrypt every stored secret under ``box``'s first key (``box`` holds the new key
    and the old ones), inside the caller's transaction: a master key rotation calls it
    with the virtual keys' re-encryption, or instances started with the new key alone
    would refuse to start. Returns how many; one that no key decrypts changes nothing."""
    from ..errors import SecretUnreadable

    tokens = _read(conn, list(NAMES), lock=True)
    for name, token in sorted(tokens.items()):
        try:
            rotated = box.rotate(token)
        except SecretUnreadable:
            raise SecretUnreadable(
                f"The shared secret {name!r} does not decrypt with any configured master "
                "key; nothing was changed."
            ) from None
        conn.execute(
            update(shared_secrets).where(shared_secrets.c.name == name).values(ciphertext=rotated)
        )
    return len(tokens)


def check_all(conn: Connection, verify: SecretBox) -> None:
    """Every stored secret decrypts with ``verify`` (the new master key alone), inside the
    caller's transaction, before a rotation commits; SecretUnreadable otherwise."""
    for name, token in sorted(_read(conn, list(NAMES)).items()):
        verify.decrypt(_context(name), token)


def rewrap(database: Database, box: SecretBox) -> int:
    """:func:`rotate_all` in a transaction of its own."""
    with database.write() as conn:
        return rotate_all(conn, box)
