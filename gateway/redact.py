"""Scrub secrets from text that leaves the process: log lines and upstream error messages.

Two layers: exact values of the secrets in play for the current request (held in
a context variable, so concurrent requests never see each other's), and patterns
for key-like strings a provider may echo back (OpenAI's 401 shows a masked key,
its 429 shows the organization id).

Most lines hold nothing key-like: an ASCII line that holds none of the words every
pattern needs (``_NEEDLES``) is returned as it is, after one ``lower()`` and a few
substring tests, rather than scanned by seven regular expressions (about 30 us per
access line; ``bench/README.md``, "Lean path").
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterable

_PATTERNS = (
    # gunicorn quotes a malformed header line verbatim ("Invalid HTTP Header: '...'").
    re.compile(r"(Invalid [A-Za-z ]{1,40}: )'[^\n]*'"),
    re.compile(r"\bsk-[A-Za-z0-9_*.\-]{4,}"),
    re.compile(r"\b(?:pk|rk|key|api)[-_][A-Za-z0-9]{16,}\b"),
    re.compile(r"(?i)\bbearer\s+[^\s\"',;]+"),
    re.compile(r"(?i)\b(api[-_]?key|x-api-key|authorization)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
    re.compile(r"\borg-[A-Za-z0-9]{6,}\b"),
    re.compile(r"\bproj_[A-Za-z0-9]{6,}\b"),
)
_REPLACEMENTS = (r"\1'***'", "sk-***", "***", "Bearer ***", r"\1\2***", "org-***", "proj_***")
# Each pattern above matches only text whose lower case holds one of these: "invalid ",
# "k-"/"k_" (sk-, pk-, rk-), "key", "api", "bearer", "authorization", "org-", "proj_".
# Lower case, so that the (?i) patterns are covered on ASCII text (on other text,
# re's case folding also matches a few non-ASCII letters: every pattern runs there).
_NEEDLES = ("invalid ", "k-", "k_", "key", "api", "bearer", "authorization", "org-", "proj_")
MIN_SECRET_LEN = 6

_request_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "request_secrets", default=()
)


def remember(*secrets: str | None) -> None:
    """Register the current request's secrets so every scrub in this context hides them."""
    known = set(_request_secrets.get())
    known.update(s for s in secrets if s and len(s) >= MIN_SECRET_LEN)
    _request_secrets.set(tuple(sorted(known, key=len, reverse=True)))


def forget() -> None:
    _request_secrets.set(())


def scrub(text: str, extra: Iterable[str] = ()) -> str:
    """Replace known secrets and key-like strings with ``***``."""
    for secret in (*_request_secrets.get(), *extra):
        if secret and len(secret) >= MIN_SECRET_LEN and secret in text:
            text = text.replace(secret, "***")
    if not _may_hold_key(text):
        return text
    for pattern, replacement in zip(_PATTERNS, _REPLACEMENTS, strict=True):
        text = pattern.sub(replacement, text)
    return text


def _may_hold_key(text: str) -> bool:
    """False only when no pattern can match ``text`` (see ``_NEEDLES``)."""
    if not text.isascii():
        return True
    lower = text.lower()
    return any(needle in lower for needle in _NEEDLES)


class ScrubFilter(logging.Filter):
    """Rewrites each record's final message; attached to every handler we own."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        cleaned = scrub(message)
        if record.exc_info:
            # Tracebacks can quote locals and arguments; keep the type, scrub the text.
            formatter = logging.Formatter()
            cleaned += "\n" + scrub(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = cleaned, None
        return True
