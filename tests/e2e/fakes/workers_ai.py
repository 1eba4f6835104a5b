"""Fake Cloudflare Workers AI REST API (``/client/v4/accounts/{id}/ai/run/{model}``).

Follows developers.cloudflare.com/workers-ai: ``Authorization: Bearer``; the input is
checked against each model's catalogue schema (FLUX.1 schnell accepts no extra keys);
FLUX and Lucid Origin answer ``{"result": {"image": <base64>}, "success": true, ...}``,
SDXL-family and SD 1.5 edit models the raw PNG (the edit inputs checked by
``_workers_ai_edits``). Errors are ``{"errors": [{"code", "message"}],
"success": false, "result": null, "messages": []}``. Stdlib only.
"""

from __future__ import annotations

import re
from typing import Any

from . import TINY_PNG_B64, FakeReply, FakeRequest, _workers_ai_edits, json_reply, png_reply

NAME = "workers-ai"
TOKEN = "cf-e2e-token-0123456789"
_ROUTE = re.compile(r"^/client/v4/accounts/([0-9a-f]{32})/ai/run/(@cf/[^/]+/[^/]+)$")
_SD = {"prompt", "negative_prompt", "height", "width", "image", "image_b64", "mask",
       "num_steps", "strength", "guidance", "seed"}  # fmt: skip
# model -> (accepted keys, step field, most steps, answers JSON)
MODELS: dict[str, tuple[set[str], str, int, bool]] = {
    "@cf/black-forest-labs/flux-1-schnell": ({"prompt", "steps", "seed"}, "steps", 8, True),
    "@cf/stabilityai/stable-diffusion-xl-base-1.0": (_SD, "num_steps", 20, False),
    "@cf/bytedance/stable-diffusion-xl-lightning": (_SD, "num_steps", 20, False),
    "@cf/lykon/dreamshaper-8-lcm": (_SD, "num_steps", 20, False),
    _workers_ai_edits.INPAINTING: (_SD, "num_steps", 20, False),
    _workers_ai_edits.IMG2IMG: (_SD, "num_steps", 20, False),
    "@cf/leonardo/lucid-origin": (
        {"prompt", "guidance", "seed", "height", "width", "num_steps", "steps"},
        "num_steps",
        40,
        True,
    ),
}


def error(status: int, code: int, message: str) -> FakeReply:
    return json_reply(
        status,
        {"result": None, "success": False, "errors": [{"code": code, "message": message}],
         "messages": []},
    )  # fmt: skip


def handle(req: FakeRequest) -> FakeReply:
    route = _ROUTE.match(req.path)
    if route is None:
        return error(400, 7003, f"Could not route to {req.path}, perhaps your object "
                     "identifier is invalid?")  # fmt: skip
    if req.method != "POST":
        return error(405, 10000, f"Method {req.method} not allowed")
    if req.headers.get("authorization") != f"Bearer {TOKEN}":
        return error(401, 10000, "Authentication error")
    model = MODELS.get(route.group(2))
    if model is None:
        return error(400, 5007, f"No such model {route.group(2)} or task")
    try:
        body: Any = req.json()
    except ValueError:
        return error(400, 5006, "Error: invalid JSON input")
    problem = _check(body, *model[:3])
    if problem is None and route.group(2) in _workers_ai_edits.MODELS:
        problem = _workers_ai_edits.check(route.group(2), body)
    if problem:
        return error(400, 5006, f"Error: {problem}")
    if model[3]:
        return json_reply(
            200, {"result": {"image": TINY_PNG_B64}, "success": True, "errors": [], "messages": []}
        )
    return png_reply()


def _check(body: Any, keys: set[str], steps: str, most: int) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "required properties at '/' are 'prompt'"
    extra = sorted(set(body) - keys)
    if extra:
        return f"additional properties at '/' are not allowed: {', '.join(extra)}"
    if steps in body and not (isinstance(body[steps], int) and 1 <= body[steps] <= most):
        return f"value at '/{steps}' must be <= {most}"
    for side in ("width", "height"):
        if side in body and not (isinstance(body[side], int) and 256 <= body[side] <= 2048):
            return f"value at '/{side}' must be >= 256 and <= 2048"
    return None
