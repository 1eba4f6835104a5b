"""The key store interface; implementations: the store's and in-memory.

Its records are the store's (``gateway.store.records``) and carry no plaintext secret:
a provider secret leaves the store only through :meth:`KeyStore.reveal_secret` and
:meth:`KeyStore.open_secret`, and a gateway API key is only ever a digest. The server's
store is ``gateway.store.key_store.DatabaseKeyStore`` (SQLite or PostgreSQL);
``memory_store.MemoryKeyStore`` is the tests' fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from ..store.records import ApiKeyRecord, ConfigInfo, VirtualKeyInfo

if TYPE_CHECKING:
    from .crypto import SecretBox


class KeyStore(Protocol):
    """Every read and write of keys and saved configs; writes are short transactions."""

    #: Changes after each committed write through this object (``touch_api_key`` aside):
    #: a cache in front of the store compares it to drop what this process changed.
    generation: int

    def add_api_key(self, record: ApiKeyRecord) -> None: ...

    def find_api_key(self, digest: str) -> ApiKeyRecord | None:
        """Revoked keys too: the caller decides, so both cases cost the same."""

    def touch_api_key(self, key_id: str, now: float, interval: float) -> None:
        """Set last_used_at unless it was set less than ``interval`` seconds ago."""

    def list_api_keys(self) -> list[ApiKeyRecord]: ...

    def has_active_api_key(self) -> bool:
        """Whether any unrevoked key exists."""

    def revoke_api_keys(self, name_or_id: str, now: float) -> int:
        """Revoke the key with this id, else every active key of this team; return the count."""

    def set_api_key_limits(self, name_or_id: str, limits: Mapping[str, int | None]) -> int:
        """Set these ``LIMIT_FIELDS`` (None: no limit) on the active key with this id, else on
        every active key of this team; other limits are kept. Return the count of keys."""

    def add_virtual_key(self, info: VirtualKeyInfo, secret: str) -> None:
        """Raise ``KeyError`` when the name is taken."""

    def virtual_key(self, name: str) -> VirtualKeyInfo | None: ...

    def sealed_virtual_key(self, name: str) -> tuple[VirtualKeyInfo, str] | None:
        """The record and its secret still encrypted, in one read; open it with
        :meth:`open_secret` once the caller has decided to use it."""

    def open_secret(self, info: VirtualKeyInfo, token: str) -> str:
        """Decrypt a token from :meth:`sealed_virtual_key` (``SecretUnreadable`` if it does
        not decrypt, e.g. a token read before a master key rotation finished)."""

    def reveal_secret(self, key_id: str) -> str | None:
        """The plaintext secret of a virtual key (None once deleted)."""

    def list_virtual_keys(self) -> list[VirtualKeyInfo]: ...

    def replace_secret(self, name: str, secret: str, hint: str, now: float) -> bool: ...

    def set_disabled(self, name: str, disabled: bool, now: float) -> bool: ...

    def delete_virtual_key(self, name: str) -> bool: ...

    def rewrap_secrets(self, box: SecretBox, verify: SecretBox) -> int:
        """Re-encrypt every secret with ``box``'s first key and check each with ``verify``,
        all in one transaction: either every row moves to the new key or none does."""

    def put_config(self, name: str, body: str, now: float) -> tuple[int, bool]:
        """Store ``body`` (canonical JSON) as a new version unless it equals the latest;
        return (version, created)."""

    def config(self, name: str, version: int | None = None) -> tuple[int, str] | None: ...

    def list_configs(self) -> list[ConfigInfo]: ...

    def delete_config(self, name: str, now: float) -> bool:
        """Hide every version; numbering continues if the name is used again."""
