"""Cache keys: when two image requests deserve the same answer. Pure: no IO.

The key is SHA-256 over canonical JSON of everything that decides the answer: the
team, the provider and the endpoint it is called at, every parameter after
``override_params`` with the effective model, ``n``, size, quality, style and response
format in place of what was sent (so a body that spells out a default and one that
leaves it out share an entry), and who pays. An edit or variation adds its route and
the SHA-256 of every input image and the mask (computed as they were received).
Credentials and forwarded headers enter only as an HMAC under a per-install secret:
the key is stored as a row id, and a plain hash of a provider key would let anyone
holding the database test guesses against it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..models import GENERATIONS, ImageRequest, Target

# Bump when the key's contents change: old entries then simply stop matching.
KEY_VERSION = 2


def canonical(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def split_url(url: str) -> tuple[str, str]:
    """``(endpoint, query)``: the endpoint is scheme, host, port and path, lower-cased host,
    never the query or a userinfo part (Google's ``?key=`` travels in the query)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2].lower()
    return urlunsplit((parts.scheme.lower(), host, parts.path, "", "")), parts.query


def identity(secret: bytes, target: Target, query: str = "") -> str:
    """Who the call is made as, without the credentials themselves: an HMAC of the API key,
    the provider options (some are secrets: AWS keys, a service account), the query and
    the forwarded headers (one may carry a credential or choose a tenant upstream)."""
    material = {
        "api_key": target.api_key,
        "options": dict(target.options),
        "organization": target.organization,
        "project": target.project,
        "query": query,
        # Names are case-insensitive; the order they were listed in changes nothing.
        "forward_headers": sorted([n.lower(), v] for n, v in target.forward_headers),
    }
    return hmac.new(secret, canonical(material), hashlib.sha256).hexdigest()


def cache_key(
    *, team: str | None, provider: str, endpoint: str, request: ImageRequest, identity: str
) -> str:
    """The hex SHA-256 that names one cache entry."""
    effective = {
        "model": request.model,
        "n": request.n,
        "size": request.size,
        "quality": request.quality,
        "style": request.style,
        "response_format": request.response_format,
    }
    body = {
        "v": KEY_VERSION,
        "team": team,
        "provider": provider,
        "endpoint": endpoint,
        "params": {**request.params, **effective},
        "identity": identity,
    }
    if request.operation != GENERATIONS:
        # An edit or variation: the route, and every input file by its hash and place
        # (images in order, then the mask), so other images never share an entry.
        body["operation"] = request.operation
        body["uploads"] = [[u.param, u.sha256, u.size] for u in request.uploads]
    return hashlib.sha256(canonical(body)).hexdigest()
