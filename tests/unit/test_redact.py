from __future__ import annotations

import logging
import random

from gateway import redact
from gateway.redact import ScrubFilter, forget, remember, scrub


def test_patterns():
    text = (
        "key sk-proj-abc123DEF456 org org-AbCdEf123 Bearer tok.en-1 "
        "api_key=xyz123 proj_ABCDEF12 Authorization: Basic Zm9v"
    )
    assert scrub(text) == (
        "key sk-*** org org-*** Bearer *** api_key=*** proj_*** Authorization: *** Zm9v"
    )


def test_exact_request_secrets_are_hidden_for_this_context_only():
    remember("plainsecretvalue", None, "")
    try:
        assert scrub("x plainsecretvalue y") == "x *** y"
    finally:
        forget()
    assert scrub("x plainsecretvalue y") == "x plainsecretvalue y"


def test_log_filter_scrubs_message_args_and_tracebacks():
    record = logging.LogRecord(
        "gateway", logging.ERROR, __file__, 1, "key %s", ("sk-live-123456",), None
    )
    try:
        raise ValueError("sk-inner-987654")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert ScrubFilter().filter(record)
    assert record.getMessage().startswith("key sk-***")
    assert "sk-inner-987654" not in record.getMessage()
    assert "ValueError: sk-***" in record.getMessage()


def test_gunicorn_quotes_of_malformed_header_lines_are_hidden():
    text = "Invalid request from ip=1.2.3.4: Invalid HTTP Header: 'x-portkey-api-key plainkey123'"
    assert scrub(text) == "Invalid request from ip=1.2.3.4: Invalid HTTP Header: '***'"


def _every_pattern(text: str) -> str:
    for pattern, replacement in zip(redact._PATTERNS, redact._REPLACEMENTS, strict=True):
        text = pattern.sub(replacement, text)
    return text


# Pieces of every pattern, in various cases, and their near misses.
_PIECES = (
    "sk-", "SK-", "pk_", "rk-", "key-", "KEY_", "api-", "Api_", "apikey", "API-KEY",
    "x-api-key", "Authorization", "AUTHORIZATION", "bearer ", "BeArEr\t", "org-",
    "proj_", "Invalid ", "Invalid HTTP Header: ", "'", "\"", "=", ": ", " ", "-", "_",
    "abcdefgh", "ABCDEF12", "0123456789abcdef", "openai", "dall-e-3", "/v1/images",
)  # fmt: skip


def test_a_line_the_quick_check_passes_is_one_no_pattern_would_change():
    rng = random.Random(3)
    for _ in range(20_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 8)))
        if any(p.search(text) for p in redact._PATTERNS):
            assert redact._may_hold_key(text), text
        assert scrub(text) == _every_pattern(text), text


def test_an_access_line_without_key_like_text_comes_back_as_it_was():
    line = '{"request_id":"req_ab12","path":"/v1/images/generations","model":"dall-e-3"}'
    assert not redact._may_hold_key(line)
    assert scrub(line) is line


def test_non_ascii_text_always_gets_every_pattern():
    # re's case folding: the Kelvin sign matches k, so "apiKey" is api-key-like.
    text = "api\u212aey=secretvalue123 \u00e9"
    assert redact._may_hold_key(text)
    assert scrub(text) == _every_pattern(text)
