"""Fake of DeepInfra's OpenAI-compatible edit endpoint (``/v1/openai/images/edits``).

Checks the multipart form as DeepInfra and the Vercel AI SDK's DeepInfra provider
describe it: ``model`` and ``prompt`` required, at least one ``image`` file part that is
PNG/JPEG/WEBP (the only file name besides ``mask``), at most one PNG ``mask``
(OpenAI's kind), ``n`` 1..4, ``size`` WxH, known text fields only, no ``response_format``
but ``b64_json``. Answers ``{created, data: [{b64_json}]}``; errors as the generation
fake's (422 ``{"detail": [...]}``). Stdlib only.
"""

from __future__ import annotations

from .. import fake_multipart
from . import CREATED, TINY_PNG_B64, FakeReply, FakeRequest, json_reply

PATH = "/v1/openai/images/edits"
FIELDS = {
    "model", "prompt", "n", "size", "response_format", "user", "negative_prompt",
    "num_inference_steps", "guidance_scale", "guidance",
}  # fmt: skip


def _invalid(where: str, message: str) -> FakeReply:
    return json_reply(422, {"detail": [{"loc": ["body", where], "msg": message}]})


def handle(req: FakeRequest) -> FakeReply:
    try:
        form = fake_multipart.parse(req.headers.get("content-type", ""), req.body)
    except fake_multipart.MultipartError as exc:
        return _invalid("body", str(exc))
    problem = _problem(form)
    if problem is not None:
        return _invalid(*problem)
    n = int(form.get("n") or 1)
    item = {"revised_prompt": None, "b64_json": TINY_PNG_B64}
    return json_reply(200, {"created": CREATED, "data": [item] * n})


def _problem(form: fake_multipart.Form) -> tuple[str, str] | None:
    for name in sorted({n for n, _ in form.fields} - FIELDS):
        return name, "extra fields not permitted"
    for name in ("model", "prompt"):
        if not form.get(name):
            return name, "field required"
    images = form.files_named("image")
    if not images or len(images) + len(form.files_named("mask")) != len(form.files):
        return "image", "one or more 'image' files (and at most a 'mask') are required"
    if any(image.format not in ("png", "jpeg", "webp") for image in images):
        return "image", "unsupported image format"
    masks = form.files_named("mask")
    if len(masks) > 1 or any(mask.format != "png" for mask in masks):
        return "mask", "the mask must be one PNG file"
    if not 1 <= int(form.get("n") or 1) <= 4:
        return "n", "ensure this value is between 1 and 4"
    if form.get("response_format") not in (None, "b64_json"):
        return "response_format", "only b64_json is supported"
    size = form.get("size")
    if size is not None and not _is_size(size):
        return "size", "invalid size"
    return None


def _is_size(size: str) -> bool:
    width, _, height = size.partition("x")
    return width.isdigit() and height.isdigit()
