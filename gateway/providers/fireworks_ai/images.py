"""Fireworks AI image generation: request bodies for both model families. Pure: no IO.

SDXL-family models get ``prompt``, ``width``/``height`` and ``samples`` plus their own
parameters; FLUX models get ``prompt``, an ``aspect_ratio`` and theirs. Portkey sends
every model to ``image_generation`` with Stability-style ``text_prompts`` and clamps the
size into 512-1024; here the size must be one the model renders. ``quality``, ``style``
and ``user`` have no Fireworks equivalent and are not sent.
"""

from __future__ import annotations

from typing import Any

from ...errors import InvalidRequest
from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls, sizes
from ..options import PATH_SEGMENT
from . import api, replies
from .capabilities import ACCOUNT_PREFIX, FLUX_MODELS, RATIO_OF_SIZE

NAME = replies.NAME
# Passed through as sent, after the mapped fields.
IMAGE_GENERATION_PARAMS = (
    "cfg_scale",
    "sampler",
    "seed",
    "steps",
    "safety_check",
    "lora_adapter_name",
    "lora_weight_filename",
)
WORKFLOW_PARAMS = ("guidance_scale", "num_inference_steps", "seed", "safety_check")


def model_path(model: str) -> str:
    """``accounts/<account>/models/<name>`` from a short or full model name."""
    full = model if model.startswith("accounts/") else ACCOUNT_PREFIX + model
    parts = full.split("/")
    if len(parts) != 4 or parts[2] != "models" or not all(map(PATH_SEGMENT.match, parts)):
        raise InvalidRequest(
            "'model' must be a Fireworks model name or accounts/<account>/models/<name>.",
            param="model",
        )
    return full


def is_workflow(path: str) -> bool:
    """FLUX models use the workflow endpoint; a FLUX model we do not know yet too."""
    name = path.rpartition("/")[2]
    return name in FLUX_MODELS or name.startswith("flux")


def _image_generation_body(request: ImageRequest) -> dict[str, Any]:
    width, height = sizes.require(request.size, NAME)
    body: dict[str, Any] = {
        "prompt": request.prompt,
        "height": height,
        "width": width,
        "samples": request.n,
    }
    params = request.params
    body.update((k, params[k]) for k in IMAGE_GENERATION_PARAMS if params.get(k) is not None)
    return body


def _aspect_ratio(request: ImageRequest) -> str | None:
    """The caller's ``aspect_ratio``, else the ratio of ``size`` (None for auto)."""
    given = request.params.get("aspect_ratio")
    derived = None if request.size == "auto" else RATIO_OF_SIZE.get(request.size)
    if request.size != "auto" and derived is None and given is None:
        # Known models were checked already: a FLUX model we do not know.
        raise InvalidRequest(
            f"'size' {request.size} is not a size {NAME} FLUX models render; use one of "
            f"{', '.join(RATIO_OF_SIZE)} or auto.",
            param="size",
        )
    if (
        given is not None
        and request.params.get("size") is not None
        and derived not in (None, given)
    ):
        raise InvalidRequest(
            f"'aspect_ratio' {given} contradicts 'size' {request.size}; send one of them.",
            param="aspect_ratio",
        )
    return given if given is not None else derived


def _workflow_body(request: ImageRequest) -> dict[str, Any]:
    params = request.params
    if request.n != 1:  # known models were checked already: a FLUX model we do not know
        raise InvalidRequest(f"'n' must be 1 for {NAME} FLUX models.", param="n")
    body: dict[str, Any] = {"prompt": request.prompt}
    ratio = _aspect_ratio(request)
    if ratio is not None:
        body["aspect_ratio"] = ratio
    body.update((k, params[k]) for k in WORKFLOW_PARAMS if params.get(k) is not None)
    return body


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    path = model_path(request.model)
    if is_workflow(path):
        url, body = api.workflow_url(target, path), _workflow_body(request)
    else:
        url, body = api.image_generation_url(target, path), _image_generation_body(request)
    raw = calls.json_body(body)
    # ``Accept: application/json`` gets base64 images instead of raw bytes.
    return calls.post(target, url, calls.bearer_json_headers(target), raw)


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    return replies.parse_reply(reply)
