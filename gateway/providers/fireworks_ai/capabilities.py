"""Fireworks AI's image models and their limits. Pure: no IO.

Two families, each with its own endpoint and parameters:

- SDXL-family models (``image_generation``): a pixel size from SDXL's nine sizes
  (``width``/``height``), ``samples`` 1 to 10, ``cfg_scale``, ``sampler``, ``steps``,
  ``seed``, ``safety_check``, LoRA fields (Portkey's parameter list; sizes as the AI
  SDK documents for these models, ai-sdk.dev/providers/ai-sdk-providers/fireworks).
- FLUX models (``workflows/.../text_to_image``): an ``aspect_ratio`` from eleven values,
  ``guidance_scale``, ``num_inference_steps``, ``seed``, ``safety_check``; one image per
  call (docs.fireworks.ai/api-reference/generate-a-new-image-from-a-text-prompt).
  Fireworks does not document pixel sizes, so each ratio is offered as its ~1 MP size;
  the size names the ratio asked for.

Models are known by their short name and by Fireworks' full path
(``accounts/fireworks/models/<name>``, what Portkey users send). A FLUX request may ask
for up to 10 images (OpenAI's limit): one call each, made in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec
from ..sizes import ratio_sizes
from ..stability_tables import SD3_RATIOS, SDXL_SIZES

ACCOUNT_PREFIX = "accounts/fireworks/models/"
# FLUX: SD3's nine ratios plus 4:3 and 3:4, each offered as its ~1 MP size.
RATIOS = {**SD3_RATIOS, "4:3": (1152, 864), "3:4": (864, 1152)}
RATIO_OF_SIZE = {f"{w}x{h}": ratio for ratio, (w, h) in RATIOS.items()}
# OpenAI-only values accepted (a request can fall back here) but never sent.
_OPENAI_STYLES = ("vivid", "natural")
_OPENAI_QUALITIES = ("standard", "hd")
_ON_OFF = (True, False)

IMAGE_GENERATION = ModelSpec(
    prompt_max=32000,
    n_max=10,
    sizes=SDXL_SIZES,
    qualities=_OPENAI_QUALITIES,
    styles=_OPENAI_STYLES,
    response_formats=("b64_json",),
    extras={
        "cfg_scale": None,
        "sampler": None,
        "seed": None,
        "steps": None,
        "safety_check": _ON_OFF,
        "lora_adapter_name": None,
        "lora_weight_filename": None,
    },
)
WORKFLOW = ModelSpec(
    prompt_max=32000,
    n_max=10,
    n_per_call=1,
    sizes=(*ratio_sizes(RATIOS), "auto"),  # auto: no aspect_ratio sent
    qualities=_OPENAI_QUALITIES,
    styles=_OPENAI_STYLES,
    response_formats=("b64_json",),
    extras={
        "aspect_ratio": tuple(RATIOS),
        "guidance_scale": None,
        "num_inference_steps": None,
        "seed": None,
        "safety_check": _ON_OFF,
    },
)
FLUX_MODELS = ("flux-1-schnell-fp8", "flux-1-dev-fp8")
SDXL_FAMILY = (
    "stable-diffusion-xl-1024-v1-0",
    "playground-v2-5-1024px-aesthetic",
    "playground-v2-1024px-aesthetic",
    "japanese-stable-diffusion-xl",
    "SSD-1B",
)
_SPECS = {
    **{name: WORKFLOW for name in FLUX_MODELS},
    **{name: IMAGE_GENERATION for name in SDXL_FAMILY},
}
_SDXL_ONLY = "Fireworks' SDXL-family models"
_FLUX_ONLY = "Fireworks' FLUX models"

CAPABILITIES = Capabilities(
    # Portkey defaults the body to SDXL but leaves the URL without a model; FLUX.1
    # [schnell] is the model Fireworks' own image API reference is written for.
    default_model="flux-1-schnell-fp8",
    models={**_SPECS, **{ACCOUNT_PREFIX + name: spec for name, spec in _SPECS.items()}},
    model_only={
        "cfg_scale": _SDXL_ONLY,
        "sampler": _SDXL_ONLY,
        "steps": _SDXL_ONLY,
        "lora_adapter_name": _SDXL_ONLY,
        "lora_weight_filename": _SDXL_ONLY,
        "aspect_ratio": _FLUX_ONLY,
        "guidance_scale": _FLUX_ONLY,
        "num_inference_steps": _FLUX_ONLY,
    },
)
