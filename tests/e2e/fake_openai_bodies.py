"""The bodies the fake OpenAI Images API answers with (``fake_provider``), byte for byte.

OpenAI-shaped errors by status (``ERRORS``, ``error_body``), the 200 bodies (``ok_body``,
``b64_body``) and the broken ones (``TRUNCATED_BODY``, the quota message). Kept apart so
the tests and the benchmark can compare an answer with what the fake sent. Stdlib only.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

CREATED = 1700000000
REVISED_PROMPT = "A fake revised prompt."
# A valid 1x1 transparent PNG.
TINY_PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
    "AAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
OPENAI_401_MESSAGE = (
    "Incorrect API key provided: sk-proj-****abcd. "
    "You can find your API key at https://platform.openai.com/account/api-keys."
)
# status -> (type, code, message), shaped like OpenAI's real answers.
ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "invalid_value", "Invalid value for 'size'."),
    401: ("invalid_request_error", "invalid_api_key", OPENAI_401_MESSAGE),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit exceeded for images per minute. Please try again in 1s.",
    ),
    500: (
        "server_error",
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", "bad_gateway", "Bad gateway."),
    503: ("server_error", "service_unavailable", "The engine is currently overloaded."),
}
TRUNCATED_BODY = b'{"created": 1700000000, "data": [{"url": "https://mock.'
QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def error_body(status: int, message: str | None = None, code: str | None = None) -> bytes:
    """An OpenAI-shaped error body for ``status``."""
    err_type, default_code, default = ERRORS.get(
        status, ("invalid_request_error", f"http_{status}", f"Fake upstream error {status}.")
    )
    error = {"message": message or default, "type": err_type, "param": None}
    return _dumps({"error": {**error, "code": code or default_code}})


@functools.lru_cache(maxsize=64)
def ok_body(n: int = 1, response_format: str = "url") -> bytes:
    """The 200 body the fake sends for ``n`` images (cached: also serves the benchmark)."""
    if response_format == "b64_json":
        items = [{"b64_json": TINY_PNG_B64, "revised_prompt": REVISED_PROMPT} for _ in range(n)]
    else:
        items = [
            {"url": f"https://images.example/fake-{i}.png", "revised_prompt": REVISED_PROMPT}
            for i in range(n)
        ]
    return _dumps({"created": CREATED, "data": items})


@functools.lru_cache(maxsize=16)
def b64_body(size: int) -> bytes:
    """A 200 body with one ``b64_json`` item whose string is exactly ``size`` characters."""
    raw = bytes(range(256)) * (size // 256 + 1)
    encoded = base64.b64encode(raw[: size * 3 // 4 + 3]).decode()[:size]
    return _dumps({"created": CREATED, "data": [{"b64_json": encoded}]})
