"""Image formats by their magic number, and the content type of each. Pure: stdlib only.

Providers' answers are checked with it (an image that is not one is refused), the
cache records what it stores, and the image store names and serves hosted files by
it: the bytes decide, never the type a provider declared.
"""

from __future__ import annotations

CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "bin": "application/octet-stream",
}


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
