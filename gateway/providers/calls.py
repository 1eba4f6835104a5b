"""Building the HTTP call a provider is sent: its headers and the ``ProviderCall``. Pure: no IO.

Headers the caller asked to forward (``forward_headers``) join the ones the gateway
builds, never replacing one of them: auth above all, and whatever a signer owns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..models import AwsSigning, GoogleServiceAccount, ImageRequest, ProviderCall, Target


def json_body(payload: Any) -> bytes:
    """A JSON request body: compact, UTF-8 as is, and never NaN or Infinity (not JSON)."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def openai_like_body(first: dict[str, Any], request: ImageRequest, names: Iterable[str]) -> bytes:
    """``first``, then each of ``names`` the caller gave, then ``size`` unless it is
    ``auto`` (left to the provider's default): the body of the small OpenAI-like APIs."""
    payload = dict(first)
    payload.update((k, request.params[k]) for k in names if request.params.get(k) is not None)
    if request.params.get("size") is not None and request.size != "auto":
        payload["size"] = request.size
    return json_body(payload)


def bearer_json_headers(target: Target, content_type: str = "application/json") -> dict[str, str]:
    """Bearer auth, the body's type, and a JSON answer: what OpenAI-style APIs take."""
    return {
        "Authorization": f"Bearer {target.api_key}",
        "Content-Type": content_type,
        "Accept": "application/json",
    }


def with_forwarded(
    headers: dict[str, str],
    target: Target,
    reserved: Iterable[str] = (),
    reserved_prefixes: tuple[str, ...] = (),
) -> dict[str, str]:
    """``headers`` plus the caller's forwarded ones, none replacing a built one.

    ``reserved`` (lower-case names) and ``reserved_prefixes`` are kept out too: headers
    the gateway does not build itself but a signer adds later (``authorization``,
    ``x-amz-*``).
    """
    built = {name.lower() for name in headers} | set(reserved)
    headers.update(
        (n, v)
        for n, v in target.forward_headers
        if n.lower() not in built and not n.lower().startswith(reserved_prefixes)
    )
    return headers


def post(
    target: Target,
    url: str,
    headers: dict[str, str],
    body: bytes,
    signing: AwsSigning | GoogleServiceAccount | None = None,
    *,
    reserved: Iterable[str] = (),
    reserved_prefixes: tuple[str, ...] = (),
) -> ProviderCall:
    """A POST of ``body`` to ``url``, with the caller's forwarded headers merged in."""
    merged = with_forwarded(headers, target, reserved, reserved_prefixes)
    return ProviderCall("POST", url, merged, body, target.pinned_ip, signing)
