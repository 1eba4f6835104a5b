"""Fake of SiliconFlow's image endpoint (``/v1/images/generations``).

Takes SiliconFlow's fields only (``image_size`` required, ``batch_size`` 1..4,
``num_inference_steps`` 1..100) and answers its native ``{"images": [{"url"}],
"timings", "seed"}`` with links served by this fake; errors are SiliconFlow's
``{"code", "message", "data"}``.
"""

from __future__ import annotations

import re

from . import FakeReply, FakeRequest, json_reply, png_reply

NAME = "siliconflow"
PATH = "/v1/images/generations"
FIELDS = {
    "model", "prompt", "negative_prompt", "image_size", "batch_size", "seed",
    "num_inference_steps", "guidance_scale", "cfg", "image",
}  # fmt: skip
MODELS = {"Kwai-Kolors/Kolors", "Qwen/Qwen-Image"}
_SIZE = re.compile(r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")


def _error(status: int, code: int, message: str) -> FakeReply:
    return json_reply(status, {"code": code, "message": message, "data": None})


def _problem(body: dict) -> str | None:
    for name in sorted(set(body) - FIELDS):
        return f"unknown field {name}"
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "prompt is required"
    if not _SIZE.match(str(body.get("image_size", ""))):
        return "image_size is required, as WIDTHxHEIGHT"
    if body.get("batch_size", 1) not in range(1, 5):
        return "batch_size must be between 1 and 4"
    if body.get("num_inference_steps", 20) not in range(1, 101):
        return "num_inference_steps must be between 1 and 100"
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if (req.method, req.path) != ("POST", PATH):
        return _error(404, 20001, f"no route {req.path}")
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return _error(401, 20003, "Invalid token")
    try:
        body = req.json()
    except ValueError:
        return _error(400, 20015, "invalid JSON")
    problem = _problem(body) if isinstance(body, dict) else "body must be an object"
    if problem is not None:
        return _error(400, 20015, problem)
    if body.get("model") not in MODELS:
        return _error(400, 20012, "Model does not exist. Please check it carefully.")
    images = [{"url": f"{req.base}/files/{i}.png"} for i in range(body.get("batch_size", 1))]
    return json_reply(200, {"images": images, "timings": {"inference": 0.5}, "seed": 42})
