"""Fake of Nscale's images endpoint (``/v1/images/generations``).

Takes only the documented fields (model and prompt required, size, n) and answers
``{"created", "data": [{"b64_json"}]}``; an unknown field is a 400, a missing key a 401,
an unknown model a 404, each as an error object without ``data``.
"""

from __future__ import annotations

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply

NAME = "nscale"
PATH = "/v1/images/generations"
FIELDS = {"model", "prompt", "size", "n"}
MODELS = {"black-forest-labs/FLUX.1-schnell", "stabilityai/stable-diffusion-xl-base-1.0"}


def _error(status: int, message: str, kind: str) -> FakeReply:
    return json_reply(status, {"error": {"message": message, "type": kind, "param": None}})


def _problem(body: dict) -> str | None:
    for name in sorted(set(body) - FIELDS):
        return f"Unknown field: {name}"
    for name in ("model", "prompt"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"Missing required field: {name}"
    if not isinstance(body.get("n", 1), int) or body.get("n", 1) < 1:
        return "n must be a positive integer"
    return None


def handle(req: FakeRequest) -> FakeReply:
    if (req.method, req.path) != ("POST", PATH):
        return _error(404, f"Not found: {req.path}", "not_found")
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return _error(401, "Invalid service token", "unauthorized")
    try:
        body = req.json()
    except ValueError:
        return _error(400, "Invalid JSON body", "invalid_request")
    problem = _problem(body) if isinstance(body, dict) else "Invalid JSON body"
    if problem is not None:
        return _error(400, problem, "invalid_request")
    if body["model"] not in MODELS:
        return _error(404, f"Model {body['model']} not found or unavailable", "not_found")
    items = [{"b64_json": TINY_PNG_B64} for _ in range(body.get("n", 1))]
    return json_reply(200, {"created": CREATED, "data": items})
