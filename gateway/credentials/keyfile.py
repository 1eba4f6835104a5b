"""Secret files in the data directory: the master key list and the API-key pepper.

Each file is owner-only (0600). It is published atomically: the content goes to a
private temporary file first, then ``os.link`` (create: fails if another process
won the race, like ``O_EXCL``) or ``os.replace`` (rewrite) puts it in place, so a
reader never sees a half-written key. A file that group or others can read, or
that does not parse, stops start-up with a message naming the file, never a key.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat

MAX_FILE_BYTES = 64 * 1024
KEY_FILE_HEADER = (
    "# Gateway master keys (Fernet), newest first: the first encrypts, all decrypt.\n"
    "# Keep this file owner-only and back it up apart from the database.\n"
)


class MasterKeyError(RuntimeError):
    """A key file is missing, unsafe or malformed; the message never contains key material."""


def read_private(path: str) -> bytes:
    """Read ``path`` after checking it is a regular file only its owner can access."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise MasterKeyError(f"cannot open {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MasterKeyError(f"{path} is not a regular file")
        if info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise MasterKeyError(
                f"refusing {path}: mode {mode:04o} lets group or others access it; "
                f"run: chmod 600 {path}"
            )
        return os.read(fd, MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    finally:
        os.close(fd)


def _write_temp(path: str, data: bytes) -> str:
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _sync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private(path: str, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists; False when another process was first."""
    tmp = _write_temp(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
    _sync_dir(path)
    return True


def replace_private(path: str, data: bytes) -> None:
    """Atomically replace ``path``: readers see the old or the new list, never a mix."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    _sync_dir(path)


def is_fernet_key(text: str) -> bool:
    try:
        return len(text) == 44 and len(base64.urlsafe_b64decode(text.encode("ascii"))) == 32
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


def parse_keys(path: str, data: bytes) -> list[str]:
    """One Fernet key per line, newest first; blank lines and ``#`` comments are ignored."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise MasterKeyError(f"{path} is not ASCII text") from None
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not is_fernet_key(entry):
            raise MasterKeyError(
                f"{path}, line {number}: not a Fernet key (44 characters, URL-safe base64)"
            )
        keys.append(entry)
    if not keys:
        raise MasterKeyError(f"{path} holds no key")
    return keys


def format_keys(keys: list[str]) -> bytes:
    return (KEY_FILE_HEADER + "".join(f"{key}\n" for key in keys)).encode("ascii")


def read_keys(path: str) -> list[str]:
    return parse_keys(path, read_private(path))


def load_or_create_keys(path: str, new_key: str) -> list[str]:
    """The key list in ``path``; at first start, a file holding ``new_key`` alone."""
    if not os.path.exists(path):
        create_private(path, format_keys([new_key]))
    return read_keys(path)


def load_or_create_pepper(path: str) -> bytes:
    """32 random bytes, created once; losing this file invalidates every gateway API key."""
    if not os.path.exists(path):
        encoded = base64.urlsafe_b64encode(secrets.token_bytes(32))
        create_private(path, encoded + b"\n")
    data = read_private(path).strip()
    try:
        pepper = base64.urlsafe_b64decode(data)
    except (binascii.Error, ValueError):
        pepper = b""
    if len(pepper) < 32:
        raise MasterKeyError(f"{path} is malformed (expected 32 bytes in URL-safe base64)")
    return pepper
