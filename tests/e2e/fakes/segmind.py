"""Fake Segmind: ``POST /{model}`` with ``x-api-key`` (segmind.com/models/<model>/api).

``base64: true`` answers ``{"image": <base64>, "status", "infer_time"}`` (a list for
several samples); otherwise the raw JPEG-typed image, like models that ignore the flag
(``raw-sdxl`` always does that). Errors are ``{"error": "..."}``: 401 bad key, 404
unknown model, 406 for the prompt "no credits", 400 for bad input. Stdlib only.
"""

from __future__ import annotations

from typing import Any

from . import TINY_PNG, TINY_PNG_B64, FakeReply, FakeRequest, json_reply

NAME = "segmind"
MODELS = {"sdxl1.0-txt2img", "ssd-1b", "raw-sdxl"}


def _error(status: int, message: str) -> FakeReply:
    return json_reply(status, {"error": message})


def handle(req: FakeRequest) -> FakeReply:
    if not req.headers.get("x-api-key", "").startswith("SG_"):
        return _error(401, "Unauthorized: invalid x-api-key")
    model = req.path.strip("/")
    if req.method != "POST" or model not in MODELS:
        return _error(404, f"The requested URL /{model} does not exist")
    try:
        body: Any = req.json()
    except ValueError:
        return _error(400, "Request body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        return _error(400, "prompt is required")
    if body["prompt"] == "no credits":
        return _error(406, "Not enough credits")
    samples = body.get("samples", 1)
    if not isinstance(samples, int) or not 1 <= samples <= 4:
        return _error(400, "samples must be between 1 and 4")
    for side in ("img_width", "img_height"):
        value = body.get(side, 1024)
        if not isinstance(value, int) or not 512 <= value <= 2048 or value % 8:
            return _error(400, f"{side} must be a multiple of 8 between 512 and 2048")
    if body.get("base64") is not True or model == "raw-sdxl":
        return FakeReply(200, TINY_PNG, "image/jpeg")
    image: Any = TINY_PNG_B64 if samples == 1 else [TINY_PNG_B64] * samples
    return json_reply(200, {"image": image, "status": "Success", "infer_time": 1.5})
