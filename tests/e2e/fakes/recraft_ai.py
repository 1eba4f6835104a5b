"""Fake of Recraft's generate endpoint (``/v1/images/generations``).

Takes Recraft's fields only (``artistic_level`` inside ``controls``, ``n`` 1..6, a
known model), answers ``{"created", "credits", "data": [{"image_id", "url"|"b64_json"}]}``
with links served by this fake; errors are Recraft's ``{"code", "message"}``. The
prompt ``"out of credits"`` gets a 200 carrying an ``error``. The upload tools
(inpaint, imageToImage, variateImage) are checked by ``_recraft_edits``.
"""

from __future__ import annotations

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, _recraft_edits, json_reply, png_reply

NAME = "recraft-ai"
PATH = "/v1/images/generations"
FIELDS = {
    "prompt", "model", "n", "size", "style", "style_id", "substyle", "negative_prompt",
    "response_format", "text_layout", "controls",
}  # fmt: skip
CONTROLS = {"colors", "background_color", "artistic_level", "no_text"}
MODELS = {"recraftv2", "recraftv3", "recraftv4", "recraftv4_1", "recraftv4_pro"}


def _error(status: int, code: str, message: str) -> FakeReply:
    return json_reply(status, {"code": code, "message": message})


def _problem(body: dict) -> str | None:
    for name in sorted(set(body) - FIELDS):
        return f"unknown parameter '{name}'"
    if not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "prompt is required"
    if body.get("model", "recraftv4") not in MODELS:
        return f"unknown model '{body.get('model')}'"
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 6:
        return "n must be between 1 and 6"
    controls = body.get("controls", {})
    if not isinstance(controls, dict) or set(controls) - CONTROLS:
        return "invalid controls"
    if controls.get("artistic_level", 0) not in range(6):
        return "artistic_level must be between 0 and 5"
    if body.get("response_format", "url") not in ("url", "b64_json"):
        return "response_format must be url or b64_json"
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if req.method != "POST" or req.path not in (PATH, *_recraft_edits.PATHS):
        return _error(404, "not_found", f"no route {req.path}")
    if req.headers.get("authorization", "") in ("", "Bearer ", "Bearer"):
        return _error(401, "not_authenticated", "invalid API token")
    if req.path != PATH:
        return _recraft_edits.handle(req)
    try:
        body = req.json()
    except ValueError:
        return _error(400, "invalid_json", "body is not JSON")
    problem = _problem(body) if isinstance(body, dict) else "body must be an object"
    if problem is not None:
        return _error(400, "invalid_parameter", problem)
    if body["prompt"] == "out of credits":
        return json_reply(200, {"error": {"code": "no_credits", "message": "not enough credits"}})
    n = body.get("n", 1)
    if body.get("response_format") == "b64_json":
        items = [{"image_id": f"img-{i}", "b64_json": TINY_PNG_B64} for i in range(n)]
    else:
        items = [{"image_id": f"img-{i}", "url": f"{req.base}/files/{i}.png"} for i in range(n)]
    return json_reply(200, {"created": CREATED, "credits": 40 * n, "data": items})
