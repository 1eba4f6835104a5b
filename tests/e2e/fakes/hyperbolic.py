"""Fake of Hyperbolic's image endpoint (``/v1/image/generation``, singular).

Takes Hyperbolic's fields only (``model_name`` required, width/height 64..2048,
``backend`` auto/tvm/torch, ``n`` 1..4) and answers its native ``{"images":
[{"index", "image", "random_seed"}], "inference_time"}``; refusals are the web
framework's 422 ``{"detail": [...]}``, a missing key a 401 ``{"detail": ...}``.
"""

from __future__ import annotations

from . import TINY_PNG_B64, FakeReply, FakeRequest, json_reply

NAME = "hyperbolic"
PATH = "/v1/image/generation"
FIELDS = {
    "model_name", "prompt", "height", "width", "steps", "cfg_scale", "negative_prompt",
    "seed", "sampler", "backend", "n", "prompt_2", "negative_prompt_2", "enable_refiner",
}  # fmt: skip
MODELS = {"SDXL1.0-base", "SDXL-turbo", "SSD", "FLUX.1-dev", "SD2", "SD1.5"}


def _invalid(where: str, message: str) -> FakeReply:
    return json_reply(422, {"detail": [{"loc": ["body", where], "msg": message}]})


def _problem(body: dict) -> FakeReply | None:
    for name in sorted(set(body) - FIELDS):
        return _invalid(name, "extra fields not permitted")
    for name in ("model_name", "prompt"):
        if not isinstance(body.get(name), str) or not body[name]:
            return _invalid(name, "field required")
    for name in ("width", "height"):
        if body.get(name, 1024) not in range(64, 2049):
            return _invalid(name, "must be between 64 and 2048")
    if body.get("backend", "auto") not in ("auto", "tvm", "torch"):
        return _invalid("backend", "must be auto, tvm or torch")
    if body.get("n", 1) not in range(1, 5):
        return _invalid("n", "must be between 1 and 4")
    return None


def handle(req: FakeRequest) -> FakeReply:
    if (req.method, req.path) != ("POST", PATH):
        return json_reply(404, {"detail": "Not Found"})
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return json_reply(401, {"detail": "Not authenticated"})
    try:
        body = req.json()
    except ValueError:
        return _invalid("body", "invalid JSON")
    if not isinstance(body, dict):
        return _invalid("body", "expected an object")
    problem = _problem(body)
    if problem is not None:
        return problem
    if body["model_name"] not in MODELS:
        return json_reply(400, {"detail": f"Model {body['model_name']} is not supported"})
    images = [
        {"index": i, "image": TINY_PNG_B64, "random_seed": 1000 + i}
        for i in range(body.get("n", 1))
    ]
    return json_reply(200, {"images": images, "inference_time": 0.4})
