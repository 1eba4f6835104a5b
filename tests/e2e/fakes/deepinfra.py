"""Fake of DeepInfra's OpenAI-compatible images endpoint (``/v1/openai/images/generations``).

Answers ``b64_json`` only, as DeepInfra does; refuses ``response_format: url``, ``n``
outside 1..4 and undocumented fields with a 422 ``{"detail": [...]}``, a missing key
with an OpenAI-shaped 401, and the model ``missing/model`` with a 404. The edit
endpoint (``/v1/openai/images/edits``) is checked by ``_deepinfra_edits``.
"""

from __future__ import annotations

import re

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, _deepinfra_edits, json_reply

NAME = "deepinfra"
PATH = "/v1/openai/images/generations"
FIELDS = {"prompt", "model", "n", "size", "response_format", "user", "style", "quality"}
_SIZE = re.compile(r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")


def _error(status: int, message: str, kind: str = "invalid_request_error") -> FakeReply:
    error = {"message": message, "type": kind, "param": None, "code": None}
    return json_reply(status, {"error": error})


def _invalid(where: str, message: str) -> FakeReply:
    return json_reply(422, {"detail": [{"loc": ["body", where], "msg": message}]})


def _problem(body: dict) -> FakeReply | None:
    for name in sorted(set(body) - FIELDS):
        return _invalid(name, "extra fields not permitted")
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return _invalid("prompt", "field required")
    if not isinstance(body.get("model"), str):
        return _invalid("model", "field required")
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 4:
        return _invalid("n", "ensure this value is between 1 and 4")
    if body.get("response_format", "b64_json") != "b64_json":
        return _invalid("response_format", "only b64_json is supported")
    if "size" in body and not _SIZE.match(str(body["size"])):
        return _invalid("size", "invalid size")
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method != "POST" or req.path not in (PATH, _deepinfra_edits.PATH):
        return _error(404, f"Not found: {req.method} {req.path}", "not_found")
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return _error(401, "Not authenticated")
    if req.path == _deepinfra_edits.PATH:
        return _deepinfra_edits.handle(req)
    try:
        body = req.json()
    except ValueError:
        return _invalid("body", "invalid JSON")
    if not isinstance(body, dict):
        return _invalid("body", "expected an object")
    problem = _problem(body)
    if problem is not None:
        return problem
    if body["model"] == "missing/model":
        return _error(404, "Model is not available", "not_found")
    item = {"revised_prompt": body["prompt"], "b64_json": TINY_PNG_B64}
    return json_reply(200, {"created": CREATED, "data": [item] * body.get("n", 1)})
