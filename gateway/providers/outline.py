"""The JSON structure of a large image answer, parsed without its base64. Pure: no IO.

An OpenAI-shaped answer that is already what the caller asked for is passed on byte
for byte, so the gateway never needs the image strings, only the structure around
them: one complete JSON object, a ``data`` list, items of the right shape. A truncated
body (``{"created": 1, "data": [{"url": "https://mock.``) must be caught, and parsing
1.5 MB of base64 on every answer costs about 1 ms of CPU (``bench/answer_check.py``).

``outline`` parses the body with every long ``b64_json`` value cut out. A base64 value
holds no quote and no backslash, so its closing quote is the next ``"`` byte (a
``memchr``), and replacing its contents changes nothing about whether the rest is valid
JSON. A value that holds a backslash is left in and parsed in full. What is not
checked is the base64 alphabet inside a cut value; the caller gets those bytes exactly
as the provider sent them.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Stands for the contents of a value that was cut out: non-empty, as the value was.
CUT = "<cut>"
_CUT = CUT.encode()
_KEY = b'"b64_json"'
_COLON_QUOTE = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"')
# Shorter values cost nothing to parse.
MIN_CUT = 1024


def outline(body: bytes) -> Any:
    """``json.loads(body)``, with each long ``b64_json`` string replaced by :data:`CUT`.

    Raises ``json.JSONDecodeError`` (or ``RecursionError``) exactly when the body is
    not valid JSON, the cut values' alphabet aside.
    """
    pieces: list[bytes] = []
    kept = search = 0  # body[kept:] is not yet in pieces; search for the key from here
    while (at := body.find(_KEY, search)) >= 0:
        search = at + len(_KEY)
        colon = _COLON_QUOTE.match(body, search)
        if colon is None:  # the string "b64_json" as a value, or invalid JSON
            continue
        start = colon.end()
        end = body.find(b'"', start)
        if end < 0:
            # Decoded only to say where (JSONDecodeError counts lines in a str).
            raise json.JSONDecodeError(
                "Unterminated string starting at", body.decode("latin-1"), start - 1
            )
        search = end + 1
        if end - start >= MIN_CUT and body.find(b"\\", start, end) < 0:
            pieces += (body[kept:start], _CUT)
            kept = end
    if not pieces:
        return json.loads(body)
    pieces.append(body[kept:])
    return json.loads(b"".join(pieces))
