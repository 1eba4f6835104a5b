"""Fake Amazon Bedrock Runtime ``InvokeModel`` (``POST /model/{modelId}/invoke``).

Authentication as AWS does it: a SigV4 signature (service ``bedrock``) is recomputed
with botocore from the headers the request says it signed, for the fixed test
credentials below, and a mismatch is AWS's 403 ``InvalidSignatureException``; a
Bedrock API key is ``Authorization: Bearer``. Bodies follow the Bedrock user guide per
model family (Stability SDXL, Stable Image/SD3, Titan Image Generator and Nova Canvas);
errors are ``{"message"}`` with an ``x-amzn-ErrorType`` header. A Titan or Nova prompt
containing "refused" gets the documented input deflection, a 400 ``ValidationException``
"This request has been blocked by our content filters. ...". The editing tasks
(INPAINTING, OUTPAINTING, IMAGE_VARIATION) are checked in ``_bedrock_edits``. Stdlib plus
botocore (and Pillow for the edits' images).
"""

from __future__ import annotations

import datetime
import hmac
import re
from typing import Any
from urllib.parse import unquote

from . import TINY_PNG_B64, FakeReply, FakeRequest, json_reply
from . import _bedrock_edits as amazon_edits
from ._bedrock_edits import EDIT_TASKS

NAME = "bedrock"
ACCESS_KEY_ID = "AKIDE2EEXAMPLE0000"
SECRET_ACCESS_KEY = "e2e/Secret+Access/Key0000000000000000000"
API_KEY = "ABSKZTJlLWJlZHJvY2sta2V5"
_ROUTE = re.compile(r"^/model/([^/]+)/invoke$")
_PROFILE = re.compile(r"^(?:us|eu|apac|global)\.")
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)
STABLE_IMAGE_KEYS = {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format", "mode"}
RATIOS = {"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"}
REFUSED = "refused"  # in a Titan/Nova prompt: the content filters refuse it
INPUT_DEFLECTION = (
    "This request has been blocked by our content filters. Please adjust your text prompt "
    "to submit a new request."
)


def error(status: int, kind: str, message: str) -> FakeReply:
    type_header = f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"
    return json_reply(status, {"message": message}, **{"x-amzn-ErrorType": type_header})


def handle(req: FakeRequest) -> FakeReply:
    route = _ROUTE.match(req.path)
    if route is None or req.method != "POST":
        return error(404, "UnknownOperationException", "Unknown operation")
    denied = _authenticate(req)
    if denied is not None:
        return denied
    model = _PROFILE.sub("", unquote(route.group(1)), count=1)
    try:
        body: Any = req.json()
    except ValueError:
        return error(400, "ValidationException", "Malformed input request, please reformat")
    if not isinstance(body, dict):
        return error(400, "ValidationException", "Malformed input request: expected object")
    if model.startswith("stability.stable-diffusion-xl"):
        return _sdxl(body)
    if model.startswith("stability."):
        return _stable_image(body)
    if model.startswith(("amazon.titan-image-generator", "amazon.nova-canvas")):
        return _amazon(body)
    return error(400, "ValidationException", "The provided model identifier is invalid.")


def _authenticate(req: FakeRequest) -> FakeReply | None:
    auth = req.headers.get("authorization", "")
    if auth.startswith("Bearer "):
        if hmac.compare_digest(auth, f"Bearer {API_KEY}"):
            return None
        return error(403, "AccessDeniedException", "Authentication failed: invalid API key.")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    fields = dict(
        part.strip().split("=", 1) for part in auth.removeprefix("AWS4-HMAC-SHA256 ").split(",")
    )
    key_id, day, region, service, _ = fields["Credential"].split("/")
    if key_id != ACCESS_KEY_ID:
        return error(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    stamp = req.headers.get("x-amz-date", "")
    try:
        signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return error(400, "IncompleteSignatureException", "X-Amz-Date is missing or invalid")
    if abs((datetime.datetime.now(datetime.UTC) - signed_at).total_seconds()) > 300:
        return error(403, "InvalidSignatureException", "Signature expired")
    if service != "bedrock" or day != stamp[:8]:
        return error(403, "InvalidSignatureException", "Credential should be scoped correctly")
    expected = expected_signature(req, fields["SignedHeaders"].split(";"), region)
    if not hmac.compare_digest(expected, fields.get("Signature", "")):
        return error(403, "InvalidSignatureException", _SIGNATURE_MISMATCH)
    return None


def expected_signature(req: FakeRequest, signed: list[str], region: str) -> str:
    """botocore's SigV4 signature for this request as received, with the test secret."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = req.base + req.path + (f"?{req.query}" if req.query else "")
    headers = {name: req.headers.get(name, "") for name in signed}
    request = AWSRequest(method=req.method, url=url, data=req.body, headers=headers)
    request.context["timestamp"] = req.headers["x-amz-date"]
    token = req.headers.get("x-amz-security-token")
    signer = SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, token), "bedrock", region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def _extraneous(body: dict[str, Any], allowed: set[str]) -> FakeReply | None:
    extra = sorted(set(body) - allowed)
    if not extra:
        return None
    return error(
        400,
        "ValidationException",
        f"Malformed input request: #: extraneous key [{extra[0]}] is not permitted, "
        "please reformat your input and try again.",
    )


def _sdxl(body: dict[str, Any]) -> FakeReply:
    allowed = {"text_prompts", "height", "width", "cfg_scale", "clip_guidance_preset",
               "sampler", "samples", "seed", "steps", "style_preset", "extras"}  # fmt: skip
    problem = _extraneous(body, allowed)
    if problem is not None:
        return problem
    if not body.get("text_prompts") or body.get("samples", 1) != 1:
        return error(400, "ValidationException", "Malformed input request: text_prompts/samples")
    artifact = {"seed": 42, "base64": TINY_PNG_B64, "finishReason": "SUCCESS"}
    return json_reply(200, {"result": "success", "artifacts": [artifact]})


def _stable_image(body: dict[str, Any]) -> FakeReply:
    problem = _extraneous(body, STABLE_IMAGE_KEYS)
    if problem is not None:
        return problem
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return error(
            400,
            "ValidationException",
            "Malformed input request: #: required key [prompt] not found",
        )
    if body.get("aspect_ratio", "1:1") not in RATIOS:
        return error(400, "ValidationException", "Malformed input request: #/aspect_ratio")
    if "filtered" in body["prompt"]:
        return json_reply(200, {"finish_reasons": ["Filter reason: prompt"]})
    return json_reply(
        200, {"seeds": [2130420379], "finish_reasons": [None], "images": [TINY_PNG_B64]}
    )


def _amazon(body: dict[str, Any]) -> FakeReply:
    task_type = body.get("taskType")
    if task_type in EDIT_TASKS:
        return amazon_edits.handle(body, error)
    problem = _extraneous(body, {"taskType", "textToImageParams", "imageGenerationConfig"})
    if problem is not None:
        return problem
    task = body.get("textToImageParams") or {}
    config = body.get("imageGenerationConfig") or {}
    if task_type != "TEXT_IMAGE" or not task.get("text"):
        return error(400, "ValidationException", "Malformed input request: taskType/text")
    count = config.get("numberOfImages", 1)
    if not isinstance(count, int) or not 1 <= count <= 5:
        return error(400, "ValidationException", "numberOfImages must be between 1 and 5")
    if config.get("quality", "standard") not in ("standard", "premium"):
        return error(400, "ValidationException", "quality must be standard or premium")
    if REFUSED in task["text"]:
        return error(400, "ValidationException", INPUT_DEFLECTION)
    return json_reply(200, {"images": [TINY_PNG_B64] * count, "error": None})
