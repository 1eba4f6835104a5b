"""One timed POST and what came back, for the scenarios that judge each answer on its own
(bench/overload.py, bench/soak_client.py). No retries: a connection that ends without an
answer is reported as such (``error``), never sent again behind the caller's back.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import load


@dataclass
class Answer:
    status: int = 0  # 0: no answer at all (see ``error``)
    code: str | None = None  # error.code of an OpenAI-shaped error body
    retry_after: str | None = None
    seconds: float = 0.0
    error: str | None = None  # exception class of a request that got no answer
    headers: dict[str, str] = field(default_factory=dict)


def connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)


def error_code(body: bytes) -> str | None:
    try:
        err = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    return err.get("code") if isinstance(err, dict) else None


def post(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str], body: bytes
) -> Answer:
    """Send one request on ``conn`` (connecting first if needed), read the whole answer.

    The time runs from before the connect (if any) to the last byte of the body. On any
    error the connection is closed and the answer has ``status`` 0 and ``error`` set.
    """
    t0 = time.perf_counter()
    try:
        conn.request("POST", path, body=body, headers={**load.HEADERS, **headers})
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return Answer(seconds=time.perf_counter() - t0, error=type(exc).__name__)
    seconds = time.perf_counter() - t0
    if resp.will_close:
        conn.close()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    code = error_code(data) if resp.status >= 400 else None
    return Answer(resp.status, code, hdrs.get("retry-after"), seconds, None, hdrs)
