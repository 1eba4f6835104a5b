"""``multipart/form-data`` bodies for providers that want forms. Pure: no IO.

The boundary is derived from the content, so the same request always gives the
same bytes (golden tests, cache keys) and can never occur inside the content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def encode(fields: Iterable[tuple[str, str]]) -> tuple[bytes, str]:
    """``(body, content type)`` for text fields, in the given order."""
    pairs = [(name, value.encode("utf-8")) for name, value in fields]
    digest = hashlib.sha256(b"\0".join(n.encode() + b"=" + v for n, v in pairs)).hexdigest()
    boundary = f"gateway-{digest[:32]}"
    marker = boundary.encode()
    parts = []
    for name, value in pairs:
        if marker in value:  # practically impossible: the boundary hashes the content
            raise ValueError("multipart boundary collision")
        parts.append(
            b"--"
            + marker
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    body = b"".join(parts) + b"--" + marker + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"
