from __future__ import annotations

import logging

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
