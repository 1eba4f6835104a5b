"""Fake Deepbricks images API: OpenAI's ``POST /v1/images/generations`` at api.deepbricks.ai.

Bearer auth; OpenAI's model limits (dall-e-3: n=1; dall-e-2: sizes up to 1024);
answers ``{created, data: [{url | b64_json}]}``; OpenAI-shaped errors. The organization
and project arrive as ``Deepbricks-Organization`` / ``Deepbricks-Project`` (recorded).
"""

from __future__ import annotations

from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply, png_reply

NAME = "deepbricks"
_SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
}


def error(status: int, message: str, code: str | None = None) -> FakeReply:
    kind = "invalid_request_error" if status < 500 else "server_error"
    payload = {"message": message, "type": kind, "param": None, "code": code}
    return json_reply(status, {"error": payload})


def _problem(body: object) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
        return "'prompt' is required."
    model = body.get("model", "dall-e-2")
    if model not in _SIZES:
        return f"The model '{model}' does not exist."
    if body.get("size", "1024x1024") not in _SIZES[model]:
        return "Invalid value for 'size'."
    if model == "dall-e-3" and body.get("n", 1) != 1:
        return "You must provide n=1 for this model."
    return None


def handle(req: FakeRequest) -> FakeReply:
    if req.method == "GET" and req.path.startswith("/files/"):
        return png_reply()
    if req.method != "POST" or req.path != "/v1/images/generations":
        return error(404, f"Invalid URL ({req.method} {req.path})")
    if req.headers.get("authorization", "") != "Bearer sk-deepbricks-e2e":
        return error(401, "Invalid token.", "invalid_api_key")
    try:
        body = req.json()
    except ValueError:
        return error(400, "We could not parse the JSON body of your request.")
    problem = _problem(body)
    if problem:
        return error(400, problem)
    n = body.get("n", 1)
    if body.get("response_format") == "b64_json":
        items = [{"b64_json": TINY_PNG_B64} for _ in range(n)]
    else:
        items = [{"url": f"{req.base}/files/{i}.png"} for i in range(n)]
    return json_reply(200, {"created": CREATED, "data": items})
