"""Fake Fireworks AI image API: SDXL-family ``image_generation`` and FLUX ``workflows``.

Follows docs.fireworks.ai: ``Authorization: Bearer``; ``image_generation`` answers a
JSON list of ``{base64, finishReason, seed}``; ``workflows/.../text_to_image`` answers
``{id, base64: [data URI], finishReason, seed}`` for ``Accept: application/json`` and raw
PNG for ``image/png``. A bad key is a 401 ``fault``; bad input a 400 OpenAI-style
``error``; a missing prompt a 422 ``detail`` list. Stdlib only.
"""

from __future__ import annotations

from typing import Any

from . import TINY_PNG_B64, FakeReply, FakeRequest, json_reply, png_reply

NAME = "fireworks-ai"
ACCOUNT = "accounts/fireworks/models/"
SDXL_FAMILY = {
    "stable-diffusion-xl-1024-v1-0",
    "playground-v2-5-1024px-aesthetic",
    "playground-v2-1024px-aesthetic",
    "japanese-stable-diffusion-xl",
    "SSD-1B",
}
FLUX = {"flux-1-schnell-fp8", "flux-1-dev-fp8"}
SDXL_SIZES = {
    (1024, 1024), (1152, 896), (896, 1152), (1216, 832), (832, 1216),
    (1344, 768), (768, 1344), (1536, 640), (640, 1536),
}  # fmt: skip
RATIOS = {"1:1", "21:9", "16:9", "3:2", "5:4", "4:5", "2:3", "9:16", "9:21", "4:3", "3:4"}
SEED = 1234567890


def _error(status: int, message: str) -> FakeReply:
    error = {"object": "error", "type": "invalid_request_error", "message": message}
    return json_reply(status, {"error": error})


def handle(req: FakeRequest) -> FakeReply:
    if not req.headers.get("authorization", "").startswith("Bearer fw-"):
        fault = {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "InvalidApiKey"}}
        return json_reply(401, {"fault": fault})
    if req.method != "POST":
        return _error(405, f"{req.method} is not allowed")
    path = req.path.lstrip("/")
    if path.startswith("image_generation/" + ACCOUNT):
        return _image_generation(req, path.removeprefix("image_generation/" + ACCOUNT))
    if path.startswith("workflows/" + ACCOUNT) and path.endswith("/text_to_image"):
        name = path.removeprefix("workflows/" + ACCOUNT).removesuffix("/text_to_image")
        return _workflow(req, name)
    return _error(404, f"Model not found: {path}")


def _body(req: FakeRequest) -> dict[str, Any] | FakeReply:
    try:
        body = req.json()
    except ValueError:
        return _error(400, "body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        missing = {"loc": ["body", "prompt"], "msg": "field required", "type": "missing"}
        return json_reply(422, {"detail": [missing]})
    return body


def _image_generation(req: FakeRequest, name: str) -> FakeReply:
    if name not in SDXL_FAMILY:
        return _error(404, f"Model not found: {ACCOUNT}{name}")
    body = _body(req)
    if isinstance(body, FakeReply):
        return body
    if (body.get("width", 1024), body.get("height", 1024)) not in SDXL_SIZES:
        return _error(400, "width and height must be one of the SDXL sizes")
    samples = body.get("samples", 1)
    if not isinstance(samples, int) or not 1 <= samples <= 10:
        return _error(400, "samples must be from 1 to 10")
    images = [
        {"base64": TINY_PNG_B64, "finishReason": "SUCCESS", "seed": SEED + i}
        for i in range(samples)
    ]
    return json_reply(200, images)


def _workflow(req: FakeRequest, name: str) -> FakeReply:
    if name not in FLUX:
        return _error(404, f"Model not found: {ACCOUNT}{name}")
    body = _body(req)
    if isinstance(body, FakeReply):
        return body
    if body.get("aspect_ratio", "16:9") not in RATIOS:
        return _error(400, "aspect_ratio must be one of " + ", ".join(sorted(RATIOS)))
    if "width" in body or "samples" in body:
        return _error(400, "width, height and samples are not workflow parameters")
    if not req.headers.get("accept", "").startswith("application/json"):
        return png_reply()
    answer = {
        "id": "fake-workflow-1",
        "base64": ["data:image/png;base64," + TINY_PNG_B64],
        "finishReason": "SUCCESS",
        "seed": SEED,
    }
    return json_reply(200, answer)
