"""Turning a provider's error reply into our error shape. Pure: no IO.

The provider's status is kept (a 429 stays a 429 so SDK back-off works), the
message is prefixed with the provider as Portkey does, and everything that could
carry a secret (the provider echoing a masked key, an organization id) is
scrubbed before it reaches the caller.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import GatewayError, InvalidUpstreamResponse, ProviderError
from ..headers import PASS_THROUGH_RESPONSE
from ..models import ProviderReply
from ..redact import scrub

MAX_MESSAGE = 500
_SECONDS = re.compile(r"[0-9]{1,9}")
# The OpenAI SDK will not wait longer than this for a Retry-After.
MAX_CLIENT_RETRY_AFTER = 120


def clip(value: Any, limit: int = MAX_MESSAGE) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)[:limit]
    # A provider can send lone surrogates (valid JSON escapes, invalid UTF-8).
    text = scrub(text.encode("utf-8", "replace").decode("utf-8"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def passed_headers(reply: ProviderReply) -> dict[str, str]:
    return {k: reply.headers[k] for k in PASS_THROUGH_RESPONSE if k in reply.headers}


def _decode(reply: ProviderReply) -> Any:
    try:
        return json.loads(reply.body) if reply.body else None
    except (ValueError, RecursionError):
        return None


def openai_style_error(provider: str, reply: ProviderReply) -> GatewayError:
    """``{"error": {"message", "type", "param", "code"}}`` or close to it."""
    data = _decode(reply)
    if not isinstance(data, dict):
        return InvalidUpstreamResponse(
            f"{provider} answered HTTP {reply.status} with a body that is not JSON "
            f"(content type {clip(reply.content_type, 64) or 'unknown'}).",
            provider=provider,
            status=502,
        )
    if not 400 <= reply.status <= 599:
        return InvalidUpstreamResponse(
            f"{provider} answered with the unexpected status {reply.status}.", provider=provider
        )
    error = data.get("error", data)
    if isinstance(error, str):
        error = {"message": error}
    if not isinstance(error, dict):
        error = {}
    message = clip(error.get("message")) or f"HTTP {reply.status} without a message"
    code = clip(error.get("code"), 64) or f"upstream_{reply.status}"
    failure = ProviderError(
        f"{provider} error: {message}",
        status=reply.status,
        type=clip(error.get("type"), 64) or "upstream_error",
        param=clip(error.get("param"), 64),
        code=code,
        provider=provider,
        headers=passed_headers(reply),
    )
    failure.should_retry = client_may_retry(reply, code)
    return failure


def client_may_retry(reply: ProviderReply, code: str) -> bool:
    """Only where the provider provably did no work: a short 429 (not a billing one), a 503.

    A 500 or a 504 may have produced (and billed) an image; the OpenAI SDK retries
    every 5xx unless told ``x-should-retry: false``.
    """
    if reply.status == 503:
        return True
    if reply.status == 429 and code != "insufficient_quota":
        wait = reply.headers.get("retry-after", "0").strip()
        return not _SECONDS.fullmatch(wait) or int(wait) <= MAX_CLIENT_RETRY_AFTER
    return False


def not_json(provider: str, reply: ProviderReply) -> GatewayError:
    return InvalidUpstreamResponse(
        f"{provider} answered HTTP {reply.status} with "
        f"'{clip(reply.content_type, 64) or 'no content type'}' instead of JSON.",
        provider=provider,
    )
