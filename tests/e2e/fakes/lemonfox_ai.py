"""Fake of Lemonfox.ai's images endpoint (``/v1/images/generations``).

Takes only Lemonfox's fields (prompt, negative_prompt, n 1..8, size, response_format)
and answers OpenAI's shape in the asked format, with links served by this fake;
anything else is a 400 in OpenAI's error shape, a missing key a 401.
"""

from __future__ import annotations

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply, png_reply

NAME = "lemonfox-ai"
PATH = "/v1/images/generations"
FIELDS = {"prompt", "negative_prompt", "n", "size", "response_format"}


def _error(status: int, message: str, kind: str = "invalid_request_error") -> FakeReply:
    return json_reply(status, {"error": {"message": message, "type": kind}})


def _problem(body: dict) -> str | None:
    for name in sorted(set(body) - FIELDS):
        return f"Unrecognized request argument supplied: {name}"
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "'prompt' is a required property"
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 8:
        return "'n' must be between 1 and 8"
    if body.get("response_format", "url") not in ("url", "b64_json"):
        return "'response_format' must be url or b64_json"
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if (req.method, req.path) != ("POST", PATH):
        return _error(404, f"Not found: {req.path}", "not_found")
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return _error(401, "Invalid API key", "authentication_error")
    try:
        body = req.json()
    except ValueError:
        return _error(400, "Invalid JSON body")
    problem = _problem(body) if isinstance(body, dict) else "Invalid JSON body"
    if problem is not None:
        return _error(400, problem)
    if body.get("response_format") == "b64_json":
        items = [{"b64_json": TINY_PNG_B64} for _ in range(body.get("n", 1))]
    else:
        items = [{"url": f"{req.base}/files/{i}.png"} for i in range(body.get("n", 1))]
    return json_reply(200, {"created": CREATED, "data": items})
