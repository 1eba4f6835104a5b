"""Fake Azure AI Foundry images endpoint: ``POST {foundry url}/images/generations``.

Foundry answers like Azure OpenAI (the same deployments behind it) but takes only
``Authorization: Bearer``, an ``api-version`` query (unless the URL is the
version-less v1 surface) and checks the ``extra-parameters`` header values.
A deployment is picked by ``azureml-model-deployment`` when sent (``gpt-image*``
answers base64 only).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from . import FakeReply, FakeRequest, png_reply
from .azure_openai import _body, answer, authenticated, error

NAME = "azure-ai"
_VERSION = re.compile(r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?)?$")


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if req.method != "POST" or not req.path.endswith("/images/generations"):
        return error(404, "404", "Resource not found")
    if not _VERSION.match(parse_qs(req.query).get("api-version", [""])[0]):
        return error(400, "BadRequest", "API version not supported")
    if req.headers.get("extra-parameters") not in ("drop", "pass-through", "error"):
        return error(400, "BadRequest", "Invalid 'extra-parameters' header.")
    if not authenticated(req, bearer_only=True):
        return error(401, "PermissionDenied", "Access denied due to invalid credentials.")
    body = _body(req)
    if isinstance(body, FakeReply):
        return body
    deployment = req.headers.get("azureml-model-deployment", str(body.get("model", "")))
    return answer(req, body, deployment.startswith("gpt-image"))
