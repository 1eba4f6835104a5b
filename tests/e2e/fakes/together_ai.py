"""Fake Together AI images API: ``POST /v1/images/generations`` (docs.together.ai reference).

Bearer auth; ``model`` and ``prompt`` required; ``n`` 1-4; ``width``/``height`` integers,
multiples of 8; ``response_format`` ``url`` or ``base64``; only Together's documented
fields are accepted (an OpenAI-only field such as ``quality`` is refused, so a transform
that leaks one fails). A prompt containing "nsfw" gets the safety checker's 422.
Answers ``{id, model, object, data: [{index, url | b64_json, type}]}`` (no ``created``);
errors are ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

from . import TINY_PNG_B64, FakeReply, FakeRequest, json_reply, png_reply

NAME = "together-ai"
FIELDS = {
    "model", "prompt", "n", "width", "height", "steps", "seed", "negative_prompt",
    "response_format", "guidance_scale", "output_format", "image_url", "image_loras",
    "reference_images", "disable_safety_checker", "aspect_ratio",
}  # fmt: skip


def error(status: int, message: str, kind: str = "invalid_request_error") -> FakeReply:
    return json_reply(
        status, {"error": {"message": message, "type": kind, "param": None, "code": None}}
    )


def _problem(body: object) -> str | None:
    if not isinstance(body, dict):
        return "Request body must be an object."
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return f"Unknown field(s): {', '.join(unknown)}"
    if not isinstance(body.get("prompt"), str) or not isinstance(body.get("model"), str):
        return "'model' and 'prompt' are required."
    if body.get("n", 1) not in (1, 2, 3, 4):
        return "'n' must be between 1 and 4."
    for side in ("width", "height"):
        value = body.get(side, 1024)
        if not isinstance(value, int) or value % 8:
            return f"'{side}' must be a multiple of 8."
    if body.get("response_format", "url") not in ("url", "base64"):
        return "'response_format' must be one of: url, base64."
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if req.method != "POST" or req.path != "/v1/images/generations":
        return error(404, "Not found")
    if req.headers.get("authorization", "") != "Bearer tg-e2e-key":
        return error(401, "Invalid API key provided.", "invalid_api_key")
    try:
        body = req.json()
    except ValueError:
        return error(400, "Invalid JSON.")
    problem = _problem(body)
    if problem:
        return error(400, problem)
    if "nsfw" in body["prompt"]:
        return error(422, "NSFW content detected. Try a different prompt.")
    items = []
    for i in range(body.get("n", 1)):
        if body.get("response_format") == "base64":
            items.append({"index": i, "b64_json": TINY_PNG_B64, "type": "b64_json"})
        else:
            items.append({"index": i, "url": f"{req.base}/files/{i}.png", "type": "url"})
    return json_reply(
        200, {"id": "fake-1", "model": body["model"], "object": "list", "data": items}
    )
