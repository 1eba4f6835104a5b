"""Fake Azure OpenAI images API (deployment and v1 forms), after Azure's REST reference.

``POST /deployments/<id>/images/generations?api-version=...`` or ``POST /v1/images/
generations``, authenticated by ``api-key`` or an Entra ``Authorization: Bearer``.
Deployments named ``gpt-image*`` (or v1 calls with a gpt-image model) answer base64
only and refuse ``response_format`` as Azure does; others answer like dall-e-3 (n=1,
url or base64, with ``revised_prompt`` and ``content_filter_results``). A prompt
containing "forbidden" gets Azure's content-filter 400. Errors use Azure's shape
``{"error": {"code", "message"}}``. ``GET /files/<name>`` serves the PNG.

Image edits: ``POST /deployments/<id>/images/edits`` (api-version 2025-04-01-preview or
later) or ``/v1/images/edits``: OpenAI's form, checked as the fake OpenAI checks it
(``fake_openai_edits``; the deployment's name is its model), gpt-image deployments only.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply, png_reply

try:
    from ..fake_openai_edits import EDITS, Problem, check
except ImportError:  # rootdir-less conftest: "fakes" is a top-level package
    from fake_openai_edits import EDITS, Problem, check  # type: ignore[no-redef]

NAME = "azure-openai"
_DEPLOYMENT = re.compile(r"^/deployments/([A-Za-z0-9._-]+)/images/generations$")
_EDIT = re.compile(r"^/deployments/([A-Za-z0-9._-]+)/images/edits$")
EDITS_SINCE = "2025-04-01"  # the first api-version with image edits
_VERSION = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$")
FILTERED = "Your task failed as a result of our safety system."


def error(status: int, code: str, message: str) -> FakeReply:
    return json_reply(status, {"error": {"code": code, "message": message}})


def authenticated(req: FakeRequest, bearer_only: bool = False) -> bool:
    bearer = req.headers.get("authorization", "")
    if bearer.startswith("Bearer ") and len(bearer) > len("Bearer "):
        return True
    return not bearer_only and bool(req.headers.get("api-key"))


def _body(req: FakeRequest) -> dict | FakeReply:
    try:
        body = req.json()
    except ValueError:
        return error(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        return error(400, "invalid_request_error", "'prompt' is a required property.")
    return body


def answer(req: FakeRequest, body: dict, gpt_image: bool) -> FakeReply:
    """An Azure images answer for an already-authenticated, routed request."""
    if "forbidden" in body["prompt"]:
        return error(400, "contentFilter", FILTERED)
    if gpt_image:
        if "response_format" in body:
            return error(400, "unknown_parameter", "Unknown parameter: 'response_format'.")
        n = body.get("n", 1)
        return json_reply(200, {"created": CREATED, "data": [{"b64_json": TINY_PNG_B64}] * n})
    if body.get("n", 1) != 1:
        return error(400, "invalid_request_error", "You must provide n=1 for this model.")
    item = {"revised_prompt": "A fake revised prompt.", "content_filter_results": {}}
    if body.get("response_format") == "b64_json":
        item["b64_json"] = TINY_PNG_B64
    else:
        item["url"] = f"{req.base}/files/0.png"
    return json_reply(200, {"created": CREATED, "data": [item]})


def _edit(req: FakeRequest, deployment: str | None) -> FakeReply:
    if deployment is not None:
        version = parse_qs(req.query).get("api-version", [""])[0]
        if not _VERSION.match(version):
            return error(400, "BadRequest", "API version not supported")
        if version[:10] < EDITS_SINCE:  # no edits API in this version
            return error(404, "404", "Resource not found")
    if not authenticated(req):
        return error(401, "401", "Access denied due to invalid subscription key.")
    checked = check(EDITS, req.headers.get("content-type", ""), req.body, model=deployment)
    if isinstance(checked, Problem):
        return error(checked.status, checked.code, checked.message)
    if not checked.model.startswith("gpt-image"):
        message = "The images edits operation does not work with this model."
        return error(400, "OperationNotSupported", message)
    if "forbidden" in (checked.form.get("prompt") or ""):
        return error(400, "contentFilter", FILTERED)
    item = {"b64_json": TINY_PNG_B64, "content_filter_results": {}}
    return json_reply(200, {"created": CREATED, "data": [item] * checked.n})


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    edit = _EDIT.match(req.path)
    if req.method == "POST" and (edit or req.path == "/v1/images/edits"):
        return _edit(req, edit.group(1) if edit else None)
    match = _DEPLOYMENT.match(req.path)
    if req.method != "POST" or not (match or req.path == "/v1/images/generations"):
        return error(404, "404", "Resource not found")
    if match and not _VERSION.match(parse_qs(req.query).get("api-version", [""])[0]):
        return error(400, "BadRequest", "API version not supported")
    if not authenticated(req):
        return error(401, "401", "Access denied due to invalid subscription key.")
    body = _body(req)
    if isinstance(body, FakeReply):
        return body
    name = match.group(1) if match else str(body.get("model", ""))
    return answer(req, body, name.startswith("gpt-image"))
