"""Fake Vertex AI Imagen ``:predict`` and Google's OAuth token endpoint.

Follows cloud.google.com/vertex-ai/generative-ai/docs/model-reference/imagen-api:
``Authorization: Bearer <OAuth token>``; ``{"instances": [{"prompt"}], "parameters":
{...}}`` answered by ``{"predictions": [{"bytesBase64Encoded", "mimeType"}]}``; errors
``{"error": {"code", "message", "status"}}``. Safety, as Google's responsible-AI page
describes it: a prompt containing "filtered" loses its last image to the output filter
(a ``raiFilteredReason`` in its place with ``includeRaiReason: true``, else just
missing); one containing "refused" is refused before generation with a 400
``INVALID_ARGUMENT`` "The prompt could not be submitted...". ``POST /token`` acts as
``https://oauth2.googleapis.com/token`` for the JWT-bearer grant: it verifies the
assertion's RS256 signature with the public key registered for its ``kid`` (a test
registers one with ``POST /keys {"kid", "public_key_pem"}``) and answers
``{access_token, expires_in, token_type}``. The editing model
(``imagen-3.0-capability-001``) is checked in ``_vertex_edits``. Stdlib plus
``cryptography`` (and Pillow for edits).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from . import TINY_PNG_B64, FakeReply, FakeRequest, json_reply
from . import _vertex_edits as edits

NAME = "vertex-ai"
ACCESS_TOKEN = "ya29.e2e-static-token"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_PREDICT = re.compile(
    r"^/v1/projects/([a-z0-9-]+)/locations/([a-z0-9-]+)/publishers/google/models/([^/:]+):predict$"
)
RATIOS = {"1:1", "3:4", "4:3", "9:16", "16:9"}
PARAMETERS = {
    "sampleCount", "aspectRatio", "negativePrompt", "seed", "personGeneration",
    "safetySetting", "addWatermark", "includeRaiReason", "enhancePrompt", "language",
    "sampleImageSize", "outputOptions", "storageUri",
}  # fmt: skip
FILTERED = "filtered"  # in a prompt: the last image is filtered out
REFUSED = "refused"  # in a prompt: the prompt itself is refused
RAI_REASON = "Unable to show generated images. Support codes: 29578790"
PROMPT_REFUSAL = (
    "Image generation failed with the following error: The prompt could not be submitted. "
    "This prompt contains sensitive words that violate Google's Responsible AI practices. "
    "Try rephrasing the prompt. Support codes: 42876398"
)
_lock = threading.Lock()
_keys: dict[str, str] = {}  # kid -> public key PEM
_issued: set[str] = set()
_serial = itertools.count(1)


def error(status: int, state: str, message: str) -> FakeReply:
    return json_reply(status, {"error": {"code": status, "message": message, "status": state}})


def handle(req: FakeRequest) -> FakeReply:
    if req.method != "POST":
        return error(405, "METHOD_NOT_ALLOWED", f"{req.method} is not allowed")
    if req.path == "/keys":
        body = req.json()
        with _lock:
            _keys[body["kid"]] = body["public_key_pem"]
        return json_reply(200, {})
    if req.path == "/token":
        return _token(req)
    route = _PREDICT.match(req.path)
    if route is None:
        return error(404, "NOT_FOUND", f"The requested URL {req.path} was not found.")
    token = req.headers.get("authorization", "").removeprefix("Bearer ")
    with _lock:
        known = token == ACCESS_TOKEN or token in _issued
    if not known:
        return error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        )
    project, _, model = route.groups()
    if not model.startswith("imagen-"):
        return error(404, "NOT_FOUND", f"Publisher Model `projects/{project}/.../{model}` "
                     "was not found or your project does not have access to it.")  # fmt: skip
    if model == edits.EDIT_MODEL:
        try:
            body = req.json()
        except ValueError:
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        return edits.handle(body, PARAMETERS, error, PROMPT_REFUSAL)
    return _predict(req)


def _predict(req: FakeRequest) -> FakeReply:
    try:
        body: Any = req.json()
    except ValueError:
        return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    instances = body.get("instances") if isinstance(body, dict) else None
    if not (isinstance(instances, list) and len(instances) == 1 and instances[0].get("prompt")):
        return error(400, "INVALID_ARGUMENT", "instances[0].prompt is required")
    parameters = body.get("parameters", {})
    unknown = sorted(set(parameters) - PARAMETERS)
    if unknown:
        return error(
            400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown name "{unknown[0]}"'
        )
    count = parameters.get("sampleCount", 4)
    if not isinstance(count, int) or not 1 <= count <= 4:
        return error(400, "INVALID_ARGUMENT", "sampleCount must be between 1 and 4")
    if parameters.get("aspectRatio", "1:1") not in RATIOS:
        return error(400, "INVALID_ARGUMENT", "Unsupported aspect ratio")
    prompt = instances[0]["prompt"]
    if REFUSED in prompt:
        return error(400, "INVALID_ARGUMENT", PROMPT_REFUSAL)
    mime = parameters.get("outputOptions", {}).get("mimeType", "image/png")
    predictions: list[dict[str, Any]] = [
        {"bytesBase64Encoded": TINY_PNG_B64, "mimeType": mime}
    ] * count
    if FILTERED in prompt:
        predictions = predictions[:-1]
        if parameters.get("includeRaiReason") is True:
            predictions.append({"raiFilteredReason": RAI_REASON})
    return json_reply(200, {"predictions": predictions})


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _token(req: FakeRequest) -> FakeReply:
    form = parse_qs(req.body.decode())
    if form.get("grant_type") != [JWT_GRANT] or len(form.get("assertion", [])) != 1:
        return _grant_error("unsupported_grant_type", "Invalid grant_type.")
    try:
        claims = _verified(form["assertion"][0])
    except Exception as exc:  # any failure (bad signature, unknown kid) is invalid_grant
        return _grant_error("invalid_grant", f"Invalid JWT Signature. ({type(exc).__name__})")
    now = time.time()
    if claims.get("aud") != GOOGLE_TOKEN_URI or not claims.get("iat", 0) - 300 < now < claims.get(
        "exp", 0
    ):
        return _grant_error("invalid_grant", "Invalid JWT: Token must be a short-lived token.")
    token = f"ya29.e2e-minted-{next(_serial)}"
    with _lock:
        _issued.add(token)
    return json_reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})


def _verified(assertion: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    header, payload, signature = assertion.split(".")
    kid = json.loads(_b64(header))["kid"]
    with _lock:
        pem = _keys[kid]
    public_key = serialization.load_pem_public_key(pem.encode())
    public_key.verify(  # type: ignore[union-attr, call-arg]
        _b64(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return json.loads(_b64(payload))


def _grant_error(kind: str, description: str) -> FakeReply:
    return json_reply(400, {"error": kind, "error_description": description})
