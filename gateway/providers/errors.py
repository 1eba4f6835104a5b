"""Turning a provider's error reply into our error shape. Pure: no IO.

The provider's status is kept (a 429 stays a 429 so SDK back-off works), the
message is prefixed with the provider as Portkey does, and everything that could
carry a secret (the provider echoing a masked key, an organization id) is
scrubbed before it reaches the caller.
"""

from __future__ import annotations

import dataclasses
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
# Error codes (or types) of an exhausted quota, credit balance or spending limit, as
# OpenAI documents them (developers.openai.com/api/docs/guides/error-codes: 429 "You
# exceeded your current quota", its code ``insufficient_quota`` or, for prepaid
# credits, ``credit_balance_exhausted``; ``billing_hard_limit_reached``), and as the
# OpenAI-compatible APIs (Azure OpenAI, DeepInfra, Together, ...) pass them on.
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "billing_hard_limit_reached",
        "billing_not_active",
    }
)
QUOTA_MESSAGE = "you exceeded your current quota"


def clip(value: Any, limit: int = MAX_MESSAGE) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)[:limit]
    # A provider can send lone surrogates (valid JSON escapes, invalid UTF-8).
    text = scrub(text.encode("utf-8", "replace").decode("utf-8"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def passed_headers(reply: ProviderReply) -> dict[str, str]:
    return {k: reply.headers[k] for k in PASS_THROUGH_RESPONSE if k in reply.headers}


def decoded(reply: ProviderReply) -> Any:
    """An error body's JSON, or None when it is not JSON."""
    try:
        return json.loads(reply.body) if reply.body else None
    except (ValueError, RecursionError):
        return None


def openai_style_error(provider: str, reply: ProviderReply) -> GatewayError:
    """``{"error": {"message", "type", "param", "code"}}`` or close to it."""
    data = decoded(reply)
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
    return provider_error(
        provider,
        reply,
        error.get("message"),
        error.get("type"),
        error.get("code"),
        error.get("param"),
    )


def provider_error(
    provider: str,
    reply: ProviderReply,
    message: Any,
    error_type: Any = None,
    code: Any = None,
    param: Any = None,
) -> ProviderError:
    """A provider's error in our shape: its status kept, its fields clipped and scrubbed.

    Missing fields get defaults that name the status; ``x-should-retry`` follows
    ``client_may_retry``.
    """
    code = clip(code, 64) or f"upstream_{reply.status}"
    quota = quota_exhausted(code, error_type, message)
    failure = ProviderError(
        f"{provider} error: {clip(message) or f'HTTP {reply.status} without a message'}",
        status=reply.status,
        type=clip(error_type, 64) or "upstream_error",
        param=clip(param, 64),
        code=code,
        provider=provider,
        headers=passed_headers(reply),
    )
    failure.quota_exhausted = quota
    failure.should_retry = client_may_retry(reply, quota)
    return failure


def quota_exhausted(code: Any, error_type: Any, message: Any) -> bool:
    """Whether an error says the account's quota or credit is spent (not a rate limit)."""
    if code in QUOTA_CODES or error_type in QUOTA_CODES:
        return True
    return isinstance(message, str) and message.lower().startswith(QUOTA_MESSAGE)


def client_may_retry(reply: ProviderReply, quota: bool) -> bool:
    """Only where the provider provably did no work: a short 429 (not a billing one), a 503.

    A 500 or a 504 may have produced (and billed) an image; the OpenAI SDK retries
    every 5xx unless told ``x-should-retry: false``.
    """
    if reply.status == 503:
        return True
    if reply.status == 429 and not quota:
        wait = reply.headers.get("retry-after", "0").strip()
        return not _SECONDS.fullmatch(wait) or int(wait) <= MAX_CLIENT_RETRY_AFTER
    return False


def not_json(provider: str, reply: ProviderReply) -> GatewayError:
    return InvalidUpstreamResponse(
        f"{provider} answered HTTP {reply.status} with "
        f"'{clip(reply.content_type, 64) or 'no content type'}' instead of JSON.",
        provider=provider,
    )


def detail_error(provider: str, reply: ProviderReply) -> GatewayError:
    """OpenAI-shaped errors, or a web framework's ``{"detail": ...}`` refusal
    (authentication, body validation), whose text would otherwise be lost."""
    detail = _detail(decoded(reply))
    if detail is not None:
        wrapped = json.dumps({"error": {"message": detail}}).encode()
        reply = dataclasses.replace(reply, body=wrapped)
    return openai_style_error(provider, reply)


def _detail(data: Any) -> str | None:
    if not isinstance(data, dict) or "error" in data or "detail" not in data:
        return None
    detail = data["detail"]
    if isinstance(detail, dict):  # {"detail": {"error": "Not authenticated"}}
        detail = detail.get("error") or detail.get("message") or detail
    if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": "..."}]
        detail = "; ".join(_problem(item) for item in detail)
    return detail if isinstance(detail, str) else json.dumps(detail)


def _problem(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc") or ())
    return f"{where}: {item.get('msg')}" if where else str(item.get("msg", item))


def content_filtered(provider: str, reply: ProviderReply, message: str) -> ProviderError:
    """A safety filter removed every image: as OpenAI answers a refused prompt, a 400
    ``content_policy_violation``."""
    return ProviderError(
        f"{provider} error: {message}",
        status=400,
        type="invalid_request_error",
        code="content_policy_violation",
        provider=provider,
        headers=passed_headers(reply),
    )


def flagged_output(provider: str, reply: ProviderReply, why: str) -> ProviderError:
    """A 2xx whose documented flag says the content filter hit at least one image.

    The caller asked for ``n`` images; a blurred, blank or missing one is not an
    answer, so the whole reply is a ``content_policy_violation`` (no image bytes in
    it) and fallback may move on. ``why`` is the provider's own flag, e.g.
    ``finish reason CONTENT_FILTERED``.
    """
    return content_filtered(
        provider, reply, f"the provider's content filter flagged the output ({clip(why, 200)})."
    )


def refused_prompt(provider: str, reply: ProviderReply, message: Any) -> ProviderError:
    """A provider's documented refusal of the prompt itself (its safety filter said no
    before any image was made): the same 400 ``content_policy_violation`` as filtered
    output, with the provider's own words, clipped and scrubbed, so the caller sees why.

    Only for errors the provider documents as a content refusal: anything looser would
    turn a bad key or a forbidden model into a 400 that fallback treats differently.
    """
    return content_filtered(
        provider, reply, clip(message) or "the provider's content filter refused the prompt."
    )
