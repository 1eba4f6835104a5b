"""Fake Stability AI: v1 text-to-image (JSON) and v2beta Stable Image (multipart).

Follows platform.stability.ai/docs/api-reference: ``Authorization: Bearer``; v1 answers
``{"artifacts": [{base64, finishReason, seed}]}`` and errors ``{id, name, message}``;
v2beta answers ``{image, finish_reason, seed}`` for ``Accept: application/json`` (raw
PNG for ``image/*``) and errors ``{id, name, errors: [...]}``. Bad input is a 400 in
the provider's own shape. A prompt containing "filtered" gets the moderated answer: a
200 whose finish reason is ``CONTENT_FILTERED`` (every v1 artifact; v2beta's
``finish_reason`` field and ``finish-reason`` header), the image still in it, as
Stability sends a blurred one. A prompt containing "refused" gets the refusal of a
moderated prompt instead: a 403 named ``content_moderation`` (v2beta's ``errors``
list, v1's ``message``). The v2beta Edit services (``/v2beta/stable-image/edit/*``)
and sd3 image-to-image check their forms as ``_stability_edits`` describes, file parts
included, and answer as the generations do. Stdlib only.
"""

from __future__ import annotations

from typing import Any

from tests.e2e import fake_multipart

from . import TINY_PNG, TINY_PNG_B64, FakeReply, FakeRequest, json_reply
from ._stability_edits import MAX_BODY, SERVICES, edit_errors, image_to_image_errors

NAME = "stability-ai"
V1_ENGINES = {"stable-diffusion-xl-1024-v1-0", "stable-diffusion-v1-6"}
SDXL_SIZES = {
    (1024, 1024), (1152, 896), (896, 1152), (1216, 832), (832, 1216),
    (1344, 768), (768, 1344), (1536, 640), (640, 1536),
}  # fmt: skip
RATIOS = {"16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"}
SD3_MODELS = {"sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash"}
V2_FIELDS = {
    "prompt", "negative_prompt", "aspect_ratio", "seed", "style_preset", "output_format",
    "model", "cfg_scale", "mode", "strength",
}  # fmt: skip
SEED = 343940597
MODERATED = "filtered"  # in a prompt: the answer is flagged CONTENT_FILTERED
REFUSED = "refused"  # in a prompt: the moderation refuses it with a 403
REFUSAL = "Your request was flagged by our content moderation system."
# What the gateway answers for a CONTENT_FILTERED reply (shared by the unit, functional
# and e2e tests).
FILTERED_ERROR = {
    "error": {
        "message": "stability-ai error: the provider's content filter flagged the output "
        "(finish reason CONTENT_FILTERED).",
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
        "provider": "stability-ai",
    }
}


def _v1_error(status: int, name: str, message: str) -> FakeReply:
    return json_reply(status, {"id": "fake-v1-error", "name": name, "message": message})


def _v2_error(status: int, name: str, *errors: str) -> FakeReply:
    return json_reply(status, {"id": "fake-v2-error", "name": name, "errors": list(errors)})


def handle(req: FakeRequest) -> FakeReply:
    if req.method != "POST":
        return _v1_error(405, "method_not_allowed", f"{req.method} is not allowed")
    if not req.headers.get("authorization", "").startswith("Bearer sk-"):
        return _v1_error(401, "unauthorized", "missing or invalid authorization header")
    parts = req.path.strip("/").split("/")
    if parts[:2] == ["v1", "generation"] and len(parts) == 4 and parts[3] == "text-to-image":
        return _v1(req, parts[2])
    if parts[:3] == ["v2beta", "stable-image", "generate"] and len(parts) == 4:
        return _v2(req, parts[3])
    if parts[:3] == ["v2beta", "stable-image", "edit"] and len(parts) == 4:
        return _edit(req, parts[3])
    return _v1_error(404, "not_found", f"no route for {req.path}")


def _v1(req: FakeRequest, engine: str) -> FakeReply:
    if engine not in V1_ENGINES:
        return _v1_error(404, "not_found", f"engine {engine} not found")
    try:
        body: Any = req.json()
    except ValueError:
        return _v1_error(400, "bad_request", "body is not JSON")
    prompts = body.get("text_prompts") if isinstance(body, dict) else None
    if not prompts or not all(isinstance(p, dict) and p.get("text") for p in prompts):
        return _v1_error(400, "invalid_prompts", "text_prompts: at least one text is required")
    samples = body.get("samples", 1)
    size = (body.get("width", 512), body.get("height", 512))
    if not isinstance(samples, int) or not 1 <= samples <= 10:
        return _v1_error(400, "bad_request", "samples: must be from 1 to 10")
    if engine.startswith("stable-diffusion-xl") and size not in SDXL_SIZES:
        return _v1_error(400, "invalid_sdxl_v1_dimensions", "width/height: not an SDXL size")
    if any(REFUSED in p["text"] for p in prompts):
        return _v1_error(403, "content_moderation", REFUSAL)
    reason = "CONTENT_FILTERED" if any(MODERATED in p["text"] for p in prompts) else "SUCCESS"
    artifacts = [
        {"base64": TINY_PNG_B64, "finishReason": reason, "seed": SEED + i} for i in range(samples)
    ]
    return json_reply(200, {"artifacts": artifacts})


def form_fields(req: FakeRequest) -> dict[str, str]:
    """The text fields of a multipart body (also used by the e2e tests)."""
    try:
        form = fake_multipart.parse(req.headers.get("content-type", ""), req.body)
    except fake_multipart.MultipartError:
        return {}
    return dict(form.fields)


def _form(req: FakeRequest) -> fake_multipart.Form | FakeReply:
    if len(req.body) > MAX_BODY:
        return _v2_error(413, "payload_too_large", "body: payloads cannot be larger than 10MiB")
    try:
        return fake_multipart.parse(req.headers.get("content-type", ""), req.body)
    except fake_multipart.MultipartError as exc:
        return _v2_error(400, "bad_request", f"body: {exc}")


def _v2(req: FakeRequest, service: str) -> FakeReply:
    if service not in {"core", "ultra", "sd3"}:
        return _v2_error(404, "not_found", f"service {service} not found")
    form = _form(req)
    if isinstance(form, FakeReply):
        return form
    fields = dict(form.fields)
    errors = [f"{name}: unknown field" for name in fields if name not in V2_FIELDS]
    if not fields.get("prompt"):
        errors.append("prompt: cannot be empty")
    if fields.get("aspect_ratio", "1:1") not in RATIOS:
        errors.append("aspect_ratio: must be one of " + ", ".join(sorted(RATIOS)))
    if fields.get("output_format", "png") not in {"png", "jpeg", "webp"}:
        errors.append("output_format: must be one of jpeg, png, webp")
    if service == "sd3" and fields.get("model", "sd3.5-large") not in SD3_MODELS:
        errors.append("model: must be one of " + ", ".join(sorted(SD3_MODELS)))
    if service != "sd3" and ("model" in fields or "cfg_scale" in fields):
        errors.append("model, cfg_scale: only accepted by the sd3 service")
    errors += image_to_image_errors(form) if service == "sd3" else []
    if service != "sd3" and (form.files or "mode" in fields or "strength" in fields):
        errors.append("image, mode, strength: only accepted by the sd3 service")
    return _answer(req, fields.get("prompt", ""), errors)


def _edit(req: FakeRequest, service: str) -> FakeReply:
    if service not in SERVICES:
        return _v2_error(404, "not_found", f"service {service} not found")
    form = _form(req)
    if isinstance(form, FakeReply):
        return form
    return _answer(req, form.get("prompt") or "", edit_errors(service, form))


def _answer(req: FakeRequest, prompt: str, errors: list[str]) -> FakeReply:
    if errors:
        return _v2_error(400, "bad_request", *errors)
    if REFUSED in prompt:
        return _v2_error(403, "content_moderation", REFUSAL)
    reason = "CONTENT_FILTERED" if MODERATED in prompt else "SUCCESS"
    headers = {"finish-reason": reason, "seed": str(SEED)}
    if not req.headers.get("accept", "").startswith("application/json"):
        return FakeReply(200, TINY_PNG, "image/png", headers)
    body = {"image": TINY_PNG_B64, "finish_reason": reason, "seed": SEED}
    return json_reply(200, body, **headers)
