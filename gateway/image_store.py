"""Images the gateway hosts itself, behind signed, expiring URLs.

A provider that only answers base64 (Stability, Vertex, Bedrock, ...) still owes
the caller a ``url`` when asked: the image is written to the data directory and
served by ``GET /v1/images/files/<name>?expires=&signature=``. The signature is
an HMAC over name and expiry with a key every worker shares (a setting, or a key
file created once in the data directory), so any worker can verify it and nobody
can mint or extend a link. Expired files are deleted by a sweeper thread that each
worker starts on first use (threads do not survive gunicorn's fork).

A file is named by its content: an HMAC-SHA256 of the bytes under a key derived
from the signing key, cut to 32 hex digits (as random-looking as before, and
telling nothing about the image to whoever lacks the key). The same image stored
again (a cache hit asked as ``url``, every time) reuses the file and refreshes its
modification time, so the sweeper keeps it until the newest link has expired; each
link keeps its own expiry, since the signature covers name and expiry. A directory
lock (``flock``: shared to reuse, exclusive to delete) keeps a sweeper from deleting
a file between the moment another worker reuses it and the moment it would have.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import GatewayError

KEY_FILE = "url-signing.key"
NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpeg|webp|gif|bin)\Z")
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "bin": "application/octet-stream",
}
# ASCII only: str.isdigit() accepts "²", and compare_digest refuses non-ASCII text.
_EXPIRES = re.compile(r"^[0-9]{1,12}\Z")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}\Z")
SWEEP_EVERY_S = 60.0


def sniff(data: bytes) -> str:
    """The file extension for these image bytes, from their magic number."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return "bin"


def load_key(directory: Path, configured: str | None) -> bytes:
    """The signing key: the setting, else the data directory's key file (made once)."""
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
    """Files under ``<data dir>/images``; names come from the bytes, links are signed."""

    def __init__(
        self,
        directory: Path,
        key: bytes,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
        max_bytes: int = 2 << 30,
    ) -> None:
        self.directory = directory
        self.key = key
        self.name_of = namer(key)
        self.ttl_s = ttl_s
        self.clock = clock
        self.max_bytes = max_bytes
        # Bytes on disk as of this worker's last sweep, plus what it stored since. Other
        # workers' writes show up at the next sweep: the budget holds to within a minute
        # of every worker's traffic.
        self._used: int | None = None
        self._sweeper_pid: int | None = None
        self._lock = threading.Lock()

    def put(self, data: bytes) -> tuple[str, int]:
        """Store ``data`` (or reuse the file that already holds it); return its name and
        the Unix time its link expires."""
        self._ensure_sweeper()
        name = self.name_of(data)
        now = self.clock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._locked(fcntl.LOCK_SH):
                reused = self._refresh(name, now)
            if not reused:
                # Outside the lock: a full store sweeps, and the sweep takes it exclusively.
                self._reserve(len(data))
                with self._locked(fcntl.LOCK_SH):
                    if not self._refresh(name, now):  # another worker may have written it
                        self._write(name, data, now)
        except OSError as exc:
            raise GatewayError(
                "The gateway could not store the image to serve it by URL "
                f"({exc.strerror or 'write failed'}).",
                code="image_store_failed",
            ) from None
        return name, int(now) + self.ttl_s

    def reuse(self, name: str) -> int | None:
        """The Unix time a new link to the file ``name`` expires, if the store still holds
        it (its modification time refreshed, as ``put`` does); None when it must be stored
        again. The caller knows the name (``namer``), so the image is never read here."""
        if not NAME.match(name):
            return None
        self._ensure_sweeper()
        now = self.clock()
        try:
            with self._locked(fcntl.LOCK_SH):
                if not self._refresh(name, now):
                    return None
        except OSError:  # no directory yet: nothing was ever stored
            return None
        return int(now) + self.ttl_s

    def _refresh(self, name: str, now: float) -> bool:
        """Reuse the file ``name`` if it is there: the sweeper now keeps it ``ttl_s`` more."""
        try:
            os.utime(self.directory / name, (now, now))
        except FileNotFoundError:
            return False
        return True

    def _write(self, name: str, data: bytes, now: float) -> None:
        temp = self.directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
            os.utime(temp, (now, now))  # the sweeper measures age on the store's clock
            os.replace(temp, self.directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise

    @contextlib.contextmanager
    def _locked(self, operation: int) -> Iterator[None]:
        """The directory's lock, shared by every worker (``flock`` on the directory)."""
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, operation)
            yield
        finally:
            os.close(fd)  # closing the only descriptor releases the lock

    def signature(self, name: str, expires: int) -> str:
        message = f"{name}:{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def link(self, base_url: str, name: str, expires: int) -> str:
        query = f"expires={expires}&signature={self.signature(name, expires)}"
        return f"{base_url.rstrip('/')}/v1/images/files/{name}?{query}"

    def find(self, name: str, expires: str, signature: str) -> Path | None:
        """The file for a valid, unexpired link; None for anything else (one answer: 404)."""
        if not (NAME.match(name) and _EXPIRES.match(expires) and _SIGNATURE.match(signature)):
            return None
        expected = self.signature(name, int(expires))
        if not hmac.compare_digest(expected, signature) or int(expires) < self.clock():
            return None
        path = self.directory / name
        return path if path.is_file() else None

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
        """Delete files older than the link lifetime; return how many went.

        Every entry is looked at (a directory listing and a stat each: cheap even for
        hundreds of thousands of files), and the bytes left are counted for the budget.
        """
        cutoff = self.clock() - self.ttl_s
        removed = kept = 0
        try:
            entries = os.scandir(self.directory)
        except OSError:  # not created yet (or not a directory: put will say so)
            entries = None
        if entries is not None:
            with entries:
                for entry in entries:
                    with contextlib.suppress(OSError):
                        info = entry.stat()
                        # Left-over temp files (a crash mid-write) go once stale too.
                        if entry.is_file() and info.st_mtime < cutoff:
                            if self._delete_if_stale(entry.path, cutoff):
                                removed += 1
                                continue
                            info = os.stat(entry.path)
                        kept += info.st_size
        with self._lock:
            self._used = kept
        return removed

    def _delete_if_stale(self, path: str, cutoff: float) -> bool:
        """Delete a file that is still stale once no worker is reusing it."""
        with self._locked(fcntl.LOCK_EX):
            if os.stat(path).st_mtime >= cutoff:  # reused since it was listed
                return False
            os.unlink(path)
            return True

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
            with contextlib.suppress(OSError):
                self.sweep()
