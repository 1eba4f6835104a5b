"""Provider secrets at rest: MultiFernet over the master key list, bound to their row.

Fernet (AES-128-CBC + HMAC-SHA256) is authenticated; MultiFernet encrypts with
the first key and decrypts with any, which is what online rotation needs. Each
plaintext starts with a *context* naming its record (``vk1:<id>:<digest of provider,
base URL and fields>``), checked on decrypt, so a token copied into another row
(or a row whose endpoint was edited in the database) does not decrypt.

Running workers and rotation: ``gateway master-key rotate`` first writes the new
key *in front of* the old one in the key file, then re-encrypts every row. A worker
whose in-memory list lacks the new key gets ``InvalidToken``, re-reads the key file
once and retries, so it keeps working through the rotation with no restart. Keys
from ``GATEWAY_MASTER_KEY`` cannot be re-read: there, workers must be restarted
with ``new,old`` before rows are re-encrypted (see ``gateway master-key rotate``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..errors import SecretUnreadable
from .keyfile import MasterKeyError, read_keys

log = logging.getLogger("gateway.credentials")

_SEPARATOR = b"\x00"


class KeySource(Protocol):
    """Where the master key list comes from; ``load`` returns it newest first."""

    def load(self) -> list[str]: ...


@dataclass(frozen=True)
class StaticKeys:
    """``GATEWAY_MASTER_KEY`` (or keys a rotation is testing): nothing to re-read."""

    keys: tuple[str, ...]

    def load(self) -> list[str]:
        return list(self.keys)


@dataclass(frozen=True)
class KeyFile:
    """``<data_dir>/master.key``, re-read when a decrypt fails or before an encrypt."""

    path: str

    def load(self) -> list[str]:
        return read_keys(self.path)


def secret_context(key_id: str, provider: str, base_url: str | None, fields: Any) -> str:
    """What a ciphertext is bound to: its row id and everything that decides where it goes.

    ``fields`` is the mapping, or its JSON text as the ``virtual_keys`` row holds it.
    """
    if isinstance(fields, str):
        fields = json.loads(fields)
    bound = json.dumps([provider, base_url, fields], sort_keys=True, separators=(",", ":"))
    return f"vk1:{key_id}:{hashlib.sha256(bound.encode()).hexdigest()[:32]}"


def _multi(keys: list[str]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


class SecretBox:
    """Encrypt and decrypt provider secrets; thread-safe (Fernet is, and the swap is atomic)."""

    def __init__(self, source: KeySource) -> None:
        self._source = source
        self._fernet = _multi(source.load())
        self._lock = threading.Lock()

    @classmethod
    def from_keys(cls, keys: list[str]) -> SecretBox:
        return cls(StaticKeys(tuple(keys)))

    def reload(self) -> None:
        """Re-read the key list (a rotation may have put a new key in front)."""
        with self._lock:
            self._fernet = _multi(self._source.load())

    def encrypt(self, context: str, secret: str) -> str:
        # Writes re-read the keys inside the caller's write transaction, so a row is never
        # encrypted with a key that a concurrent rotation has already retired.
        self.reload()
        plaintext = context.encode() + _SEPARATOR + secret.encode()
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, context: str, token: str) -> str:
        try:
            plaintext = self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            plaintext = self._decrypt_after_reload(token)
        bound, sep, secret = plaintext.partition(_SEPARATOR)
        if not sep or not hmac.compare_digest(bound, context.encode()):
            raise SecretUnreadable("A stored provider secret does not belong to its record.")
        return secret.decode()

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first key (MultiFernet.rotate keeps the plaintext)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretUnreadable(
                "A stored provider secret does not decrypt with any configured master key."
            ) from None

    def _decrypt_after_reload(self, token: str) -> bytes:
        try:
            self.reload()
        except MasterKeyError as exc:
            log.error("master key reload failed: %s", exc)  # names the file, never a key
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            raise SecretUnreadable(
                "A stored provider secret does not decrypt with the configured master key."
            ) from None
