"""Gateway API keys, virtual keys (provider secrets) and saved configs.

The request path uses :class:`Credentials` (built once per app by
:func:`open_credentials`) and :func:`looks_like_gateway_key`; the ``gateway``
CLI administers the same store. Layout: ``store`` (the Protocol; its records are
``gateway.store.records``), ``memory_store`` (the tests' implementation; the server's
is ``gateway.store.key_store.DatabaseKeyStore``), ``crypto`` and ``keyfile`` (master
key, pepper), ``api_keys``, ``virtual_keys``, ``configs``, ``rotation``, ``resolve``
(the facade).
"""

from __future__ import annotations

from .api_keys import Team, looks_like_gateway_key
from .crypto import SecretBox
from .keyfile import MasterKeyError
from .memory_store import MemoryKeyStore
from .resolve import Credentials, open_credentials
from .store import KeyStore
from .virtual_keys import KNOWN_PROVIDERS, VirtualKey

__all__ = [
    "KNOWN_PROVIDERS",
    "Credentials",
    "KeyStore",
    "MasterKeyError",
    "MemoryKeyStore",
    "SecretBox",
    "Team",
    "VirtualKey",
    "looks_like_gateway_key",
    "open_credentials",
]
