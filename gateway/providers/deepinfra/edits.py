"""DeepInfra image edits: OpenAI's edit form on DeepInfra's OpenAI-compatible endpoint. Pure.

Read on 2026-12-06: DeepInfra's model pages (https://deepinfra.com/Qwen/Qwen-Image-Edit/api,
"OpenAI Images Edits HTTP API") and the DeepInfra provider of the Vercel AI SDK, its docs
(github.com/vercel/ai, content/providers/01-ai-sdk-providers/11-deepinfra.mdx, "Image
Editing") and code (packages/deepinfra/src/deepinfra-image-model.ts). What they say, in
our words:

- ``POST https://api.deepinfra.com/v1/openai/images/edits`` takes OpenAI's
  ``multipart/form-data`` synchronously: ``model``, ``prompt``, ``image`` (one file, or
  several parts of that name to combine them), ``mask`` (OpenAI's kind: its transparent
  pixels mark the area to edit), ``n``, ``size``, and the model's own options as more
  fields (``negative_prompt``, ``num_inference_steps``, ``guidance_scale``, ``guidance``,
  ``user``). The answer is OpenAI's ``{created, data: [{b64_json}]}``, base64 only, as
  for generations; errors are OpenAI's ``{"error": {...}}`` or ``{"detail": ...}``.
- The edit models: ``Qwen/Qwen-Image-Edit`` (masks and several images in the AI SDK's
  examples), ``black-forest-labs/FLUX.1-Kontext-dev`` and ``-pro``. The AI SDK makes one
  image per call.

So the caller's form is forwarded with OpenAI's meaning kept: every image as ``image``
(as sent, streamed), the mask as sent (same semantics, no conversion), ``size`` unless
``auto``, and only the fields above; ``response_format`` is not sent (base64 is the only
answer; the gateway hosts it when a URL is asked), nor ``quality``/``style``/
``background`` and other GPT-image fields. One image per call: ``n`` above 1 is several
calls (``gateway.outbound.fanout``). DeepInfra documents no limit on the inputs, so the
gateway's own upload limits apply, and sizes are left to DeepInfra ("available sizes
depend on the model"). Left out: variations (no variation endpoint) and prices (Qwen's
"$0.025 x (width / 1024) x (height / 1024) x (iters / 25)" needs a step count the
endpoint does not document).
"""

from __future__ import annotations

from ...errors import InvalidRequest
from ...models import ImageRequest, ProviderCall, Target, Upload
from .. import calls, multipart
from . import api

# The models' own options, sent as text when the caller gives them, in this order.
OPTIONS = ("negative_prompt", "num_inference_steps", "guidance_scale", "guidance", "user")


def build_edit_call(request: ImageRequest, target: Target) -> ProviderCall:
    if request.n != 1:  # fan-out makes one call per image
        raise InvalidRequest("'n' must be 1 per call to deepinfra's image edits.", param="n")
    if not request.prompt:
        raise InvalidRequest("'prompt' is required by deepinfra's image edits.", param="prompt")
    fields = [("model", request.model), ("prompt", request.prompt), ("n", "1")]
    if request.size != "auto":
        fields.append(("size", request.size))
    fields += [
        (name, str(request.params[name]))
        for name in OPTIONS
        if request.params.get(name) is not None
    ]
    files = [_part("image", image) for image in request.images]
    if request.mask is not None:
        files.append(_part("mask", request.mask))
    body, content_type = multipart.encode_files(fields, files)
    headers = calls.with_forwarded(calls.bearer_json_headers(target, content_type), target)
    return ProviderCall("POST", api.url(target, api.EDITS), headers, body, target.pinned_ip)


def _part(name: str, upload: Upload) -> tuple[str, Upload, str, str]:
    return (name, upload, f"{name}.{upload.format}", upload.mime_type)
