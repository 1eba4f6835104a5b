"""Images the gateway hosts itself, behind signed, expiring URLs.

A provider that only answers base64 (Stability, Vertex, Bedrock, ...) still owes
the caller a ``url`` when asked: the image is written to the data directory and
served by ``GET /v1/images/files/<name>?expires=&signature=``. The signature is
an HMAC over name and expiry with a key every worker shares (a setting, or a key
file created once in the data directory), so any worker can verify it and nobody
can mint or extend a link. Expired files are deleted by a sweeper thread that each
worker starts on first use (threads do not survive gunicorn's fork).

Where the bytes live is a ``gateway.store.blobs.Blobs``: files in the data
directory on the embedded default (SQLite), the ``blobs`` table with PostgreSQL, so
that a link minted by one instance is served by any other (the signing key is then
shared through the database too, ``gateway.store.secrets``). Signing, names, expiry
and the budget are this module's, the same for both.

An image is named by its content: an HMAC-SHA256 of the bytes under a key derived
from the signing key, cut to 32 hex digits (as random-looking as before, and
telling nothing about the image to whoever lacks the key). The same image stored
again (a cache hit asked as ``url``, every time) reuses the stored bytes and moves
their expiry forward, so the sweeper keeps them until the newest link has expired;
each link keeps its own expiry, since the signature covers name and expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from ..errors import GatewayError
from ..image_formats import sniff
from ..store.blobs import Blobs, DatabaseBlobs, FileBlobs

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.database import Database

log = logging.getLogger("gateway.image_store")

NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpeg|webp|gif|bin)\Z")
# ASCII only: str.isdigit() accepts "²", and compare_digest refuses non-ASCII text.
_EXPIRES = re.compile(r"^[0-9]{1,12}\Z")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}\Z")
SWEEP_EVERY_S = 60.0
#: The ``blobs`` kind of hosted images (PostgreSQL).
BLOB_KIND = "image"


def namer(key: bytes) -> Callable[[bytes], str]:
    """``ImageStore(directory, key, ...).name_of`` without a store: the cache names the file
    an image would be hosted under when it stores the image, so that a ``url`` hit can link
    to that file later without reading the image."""
    name_key = hmac.new(key, b"image-store file names", hashlib.sha256).digest()

    def name_of(data: bytes) -> str:
        digest = hmac.new(name_key, data, hashlib.sha256).hexdigest()
        return f"{digest[:32]}.{sniff(data)}"

    return name_of


class ImageStore:
    """Hosted images in ``blobs`` (default: files under ``<data dir>/images``); names come
    from the bytes, links are signed."""

    def __init__(
        self,
        directory: Path,
        key: bytes,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
        max_bytes: int = 2 << 30,
        blobs: Blobs | None = None,
    ) -> None:
        self.directory = directory
        self.key = key
        self.name_of = namer(key)
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_bytes = max_bytes
        self.blobs: Blobs = blobs if blobs is not None else FileBlobs(directory, ttl_s)
        # Bytes stored as of this worker's last sweep, plus what it stored since. Other
        # workers' (and instances') writes show up at the next sweep: the budget holds
        # to within a minute of every worker's traffic.
        self._used: int | None = None
        self._sweeper_pid: int | None = None
        self._lock = threading.Lock()

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data`` (or reuse the stored copy); return its name and the Unix time
        its link expires."""
        self._ensure_sweeper()
        name = self.name_of(data)
        now = self.clock()
        try:
            if not self.blobs.extend(name, now + self.ttl_s):
                # A full store sweeps first (outside any lock the blobs take).
                self._reserve(len(data))
                self.blobs.put(name, data, now + self.ttl_s)  # reuses one written meanwhile
        except (OSError, SQLAlchemyError) as exc:
            raise GatewayError(
                "The gateway could not store the image to serve it by URL "
                f"({getattr(exc, 'strerror', None) or 'write failed'}).",
                code="image_store_failed",
            ) from None
        return name, int(now) + self.ttl_s

    def reuse(self, name: str) -> int | None:
        """The Unix time a new link to ``name`` expires, if the store still holds it (its
        expiry moved forward, as ``put`` does); None when it must be stored again. The
        caller knows the name (``namer``), so the image is never read here."""
        if not NAME.match(name):
            return None
        self._ensure_sweeper()
        now = self.clock()
        try:
            if not self.blobs.extend(name, now + self.ttl_s):
                return None
        except (OSError, SQLAlchemyError):  # no directory yet, or no store: store it again
            return None
        return int(now) + self.ttl_s

    def signature(self, name: str, expires: int) -> str:
        message = f"{name}:{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def link(self, base_url: str, name: str, expires: int) -> str:
        query = f"expires={expires}&signature={self.signature(name, expires)}"
        return f"{base_url.rstrip('/')}/v1/images/files/{name}?{query}"

    def find(self, name: str, expires: str, signature: str) -> Path | bytes | None:
        """The image of a valid, unexpired link: its file (``FileBlobs``) or its bytes;
        None for anything else (one answer: 404)."""
        if not (NAME.match(name) and _EXPIRES.match(expires) and _SIGNATURE.match(signature)):
            return None
        expected = self.signature(name, int(expires))
        if not hmac.compare_digest(expected, signature) or int(expires) < self.clock():
            return None
        if isinstance(self.blobs, FileBlobs):
            return self.blobs.path(name)  # served from the file, as it is
        return self.blobs.get(name)

    def _reserve(self, size: int) -> None:
        with self._lock:
            used = self._used
        if used is None or used + size > self.max_bytes:
            self.sweep()  # learn the real usage (and free what expired) before refusing
        with self._lock:
            if (self._used or 0) + size > self.max_bytes:
                raise GatewayError(
                    "The gateway's image store is full (GATEWAY_IMAGE_STORE_MAX_MB); ask for "
                    "b64_json, or retry once older links have expired.",
                    status=507,
                    code="image_store_full",
                )
            self._used = (self._used or 0) + size

    def sweep(self) -> int:
        """Delete images whose newest link has expired; return how many went. The bytes
        left are counted for the budget."""
        removed = self.blobs.sweep_expired(self.clock())
        used = self.blobs.usage()
        with self._lock:
            self._used = used
        return removed

    def _ensure_sweeper(self) -> None:
        pid = os.getpid()
        if self._sweeper_pid == pid:
            return
        with self._lock:
            if self._sweeper_pid == pid:
                return
            self._sweeper_pid = pid
            thread = threading.Thread(target=self._sweep_forever, name="image-sweeper", daemon=True)
            thread.start()

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(SWEEP_EVERY_S)
            try:
                self.sweep()
            except OSError:
                pass
            except SQLAlchemyError as exc:  # the store is away: the next round tries again
                log.warning("image store sweep failed: %s", type(exc).__name__)


def open_image_store(settings: Settings, database: Database, key: bytes) -> ImageStore:
    """The app's image store: files in the data directory on SQLite, the shared ``blobs``
    table with PostgreSQL (any instance serves any link); ``key`` is the shared signing
    key (``gateway.store.secrets``)."""
    directory = Path(settings.images_dir)
    blobs: Blobs = (
        FileBlobs(directory, settings.image_url_ttl)
        if database.is_sqlite
        else DatabaseBlobs(database, BLOB_KIND)
    )
    return ImageStore(
        directory,
        key,
        settings.image_url_ttl,
        max_bytes=settings.image_store_max_mb << 20,
        blobs=blobs,
    )
