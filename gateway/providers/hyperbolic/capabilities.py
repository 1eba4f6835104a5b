"""Hyperbolic's image models and their limits.

From https://docs.hyperbolic.ai/inference/image-apis: ``model_name`` and ``prompt``
are required; ``height``/``width`` default to 1024; ``backend`` is auto, tvm or torch;
the answer is base64 only. Hyperbolic has announced that these image models are
being retired. ``n`` (1 to 4) and the side bounds (64 to 2048 pixels) come from the
OpenAPI description published at apis.io (api-evangelist/hyperbolic-ai); no size
list is published, so any WxH within the bounds is sent. A request may ask for up to 10
images (OpenAI's limit): calls of at most 4, made in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

BACKENDS = ("auto", "tvm", "torch")
SIDES = (64, 2048)
_SPEC = ModelSpec(
    prompt_max=32000,
    n_max=10,
    n_per_call=4,
    response_formats=("b64_json",),
    side_range=SIDES,
    extras={"backend": BACKENDS},
)
# prompt_2, negative_prompt_2 and enable_refiner exist for the SDXL models only.
_SDXL = ModelSpec(
    prompt_max=32000,
    n_max=10,
    n_per_call=4,
    response_formats=("b64_json",),
    side_range=SIDES,
    extras={
        "backend": BACKENDS,
        "prompt_2": None,
        "negative_prompt_2": None,
        "enable_refiner": None,
    },
)

CAPABILITIES = Capabilities(
    default_model="SDXL1.0-base",
    models={
        "SDXL1.0-base": _SDXL,
        "SDXL-turbo": _SDXL,
        "SSD": _SDXL,
        "FLUX.1-dev": _SPEC,
        "SD2": _SPEC,
        "SD1.5": _SPEC,
    },
    model_only={
        "prompt_2": "the SDXL models",
        "negative_prompt_2": "the SDXL models",
        "enable_refiner": "the SDXL models",
    },
)
