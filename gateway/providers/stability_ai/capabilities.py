"""Stability AI's image models and their limits. Pure: no IO.

Two API generations live under one provider id:

- v1 engines (JSON ``/v1/generation/{engine}/text-to-image``): SDXL 1.0 takes only nine
  sizes, SD 1.6 any multiple of 64 from 320 to 1536 a side; up to 10 samples; prompt at
  most 2000 characters (platform.stability.ai/docs/api-reference#tag/v1generation,
  schemas DiffuseImageHeight/Width, Samples, Steps, Seed, CfgScale).
- v2beta services (multipart ``/v2beta/stable-image/generate/{core|ultra|sd3}``): one
  image per call, no pixel size but an ``aspect_ratio`` from nine values, prompt at most
  10000 characters (platform.stability.ai/docs/api-reference#tag/Generate). A request
  for up to 10 images becomes that many calls, made in parallel (``gateway.outbound.fanout``);
  so does one for a model the table does not know, which goes to v2beta too.

The v2beta services render about one megapixel (Core about 1.5), so each ratio is
offered as the ~1 MP size SD3 renders for it; the size names the ratio asked for.
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec
from ..sizes import ratio_sizes
from ..stability_tables import SD3_RATIOS, SDXL_SIZES, STYLE_PRESETS

# OpenAI's own ``style`` values: accepted so an OpenAI-shaped request can fall back to
# Stability, but never sent (no preset means the same thing).
OPENAI_STYLES = ("vivid", "natural")
# OpenAI's ``quality`` values: accepted and not sent; Stability has no such knob.
OPENAI_QUALITIES = ("standard", "hd")

# v1: the engines Portkey sends to the v1 API; every other model goes to v2beta.
SDXL_V1 = "stable-diffusion-xl-1024-v1-0"
SD_V16 = "stable-diffusion-v1-6"
# SD 1.6: any side from 320 to 1536 in steps of 64 (checked in v1.py: 400 sizes).
SD16_SIDES = range(320, 1537, 64)
SAMPLERS = (
    "DDIM",
    "DDPM",
    "K_DPMPP_2M",
    "K_DPMPP_2S_ANCESTRAL",
    "K_DPM_2",
    "K_DPM_2_ANCESTRAL",
    "K_EULER",
    "K_EULER_ANCESTRAL",
    "K_HEUN",
    "K_LMS",
)
CLIP_GUIDANCE = ("FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST")
# Numeric limits checked before sending (inclusive); too many values for a tuple.
V1_RANGES = {"cfg_scale": (0, 35), "seed": (0, 4294967295)}
V2_RANGES = {"seed": (0, 4294967294)}
SD3_RANGES = {**V2_RANGES, "cfg_scale": (1, 10)}

# v2beta: ratio -> the size offered for it (SD3's ~1 MP resolutions).
RATIOS = SD3_RATIOS
RATIO_OF_SIZE = {f"{w}x{h}": ratio for ratio, (w, h) in RATIOS.items()}
# "auto": no aspect_ratio sent, Stability's default (1:1) applies.
V2_SIZES = (*ratio_sizes(RATIOS), "auto")
OUTPUT_FORMATS = ("png", "jpeg", "webp")
# Dedicated services; every other v2beta model is a ``model`` of the sd3 service.
SERVICES = ("core", "ultra")

_STYLES = OPENAI_STYLES + STYLE_PRESETS
_V1_EXTRAS = {
    "style_preset": STYLE_PRESETS,
    "negative_prompt": None,
    "cfg_scale": None,
    "clip_guidance_preset": CLIP_GUIDANCE,
    "sampler": SAMPLERS,
    "seed": None,
    # Current v1 reference: 10 to 50 (the 2023 OpenAPI file said 150).
    "steps": tuple(range(10, 51)),
    "extras": None,
}
_V2_EXTRAS = {
    "negative_prompt": None,
    "aspect_ratio": tuple(RATIOS),
    "seed": None,
    "style_preset": STYLE_PRESETS,
    "output_format": OUTPUT_FORMATS,
}


def _v1(sizes: tuple[str, ...] | None) -> ModelSpec:
    return ModelSpec(
        prompt_max=2000,
        n_max=10,
        sizes=sizes,
        qualities=OPENAI_QUALITIES,
        styles=_STYLES,
        response_formats=("b64_json",),
        extras=_V1_EXTRAS,
    )


def _v2(extras: dict[str, tuple[str, ...] | None]) -> ModelSpec:
    return ModelSpec(
        prompt_max=10000,
        n_max=10,
        n_per_call=1,
        sizes=V2_SIZES,
        qualities=OPENAI_QUALITIES,
        styles=_STYLES,
        response_formats=("b64_json",),
        extras=extras,
    )


_SERVICE = _v2(_V2_EXTRAS)
_SD3 = _v2({**_V2_EXTRAS, "cfg_scale": None})
_V1_ONLY = "the v1 engines (stable-diffusion-xl-1024-v1-0, stable-diffusion-v1-6)"
_V2_ONLY = "the v2beta models (core, ultra, sd3*)"

CAPABILITIES = Capabilities(
    # Portkey sends a request without a model to v2beta (as ".../generate/undefined");
    # Core is Stability's general-purpose, lowest-cost v2beta service.
    default_model="core",
    n_per_call=1,  # an unknown model is a v2beta one: one image per call
    models={
        SDXL_V1: _v1(SDXL_SIZES),
        SD_V16: _v1(None),
        "core": _SERVICE,
        "ultra": _SERVICE,
        # "sd3" is Portkey's spelling of the sd3 service: no model field, Stability's
        # default model (sd3.5-large) answers.
        "sd3": _SD3,
        "sd3.5-large": _SD3,
        "sd3.5-large-turbo": _SD3,
        "sd3.5-medium": _SD3,
        "sd3.5-flash": _SD3,
    },
    model_only={
        "clip_guidance_preset": _V1_ONLY,
        "sampler": _V1_ONLY,
        "steps": _V1_ONLY,
        "extras": _V1_ONLY,
        "aspect_ratio": _V2_ONLY,
        "output_format": _V2_ONLY,
        "cfg_scale": "the v1 engines and the sd3 models",
    },
)
V1_ENGINES = (SDXL_V1, SD_V16)


# Edits (``edits.py``): the v2beta Edit services by name, and the sd3 models for a
# prompt-guided image-to-image change. Each keeps the input's framing, so ``size``
# can only be ``auto``; numbers (seed, grow_mask, ...) arrive as form text and are
# range-checked in ``edits.py``.
INPAINT = "inpaint"
EDIT_SERVICES = (
    INPAINT,
    "erase",
    "outpaint",
    "search-and-replace",
    "search-and-recolor",
    "remove-background",
)
SD3_MODELS = ("sd3", "sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash")
_OUT = {"output_format": OUTPUT_FORMATS, "seed": None}
_STYLED = {**_OUT, "style_preset": STYLE_PRESETS}
_PAINTED = {**_STYLED, "negative_prompt": None, "grow_mask": None}
_EDIT_EXTRAS: dict[str, dict[str, tuple[str, ...] | None]] = {
    INPAINT: _PAINTED,
    "erase": {**_OUT, "grow_mask": None},
    "outpaint": {**_STYLED, **dict.fromkeys(("left", "right", "up", "down", "creativity"))},
    "search-and-replace": {**_PAINTED, "search_prompt": None},
    "search-and-recolor": {**_PAINTED, "select_prompt": None},
    "remove-background": {"output_format": OUTPUT_FORMATS},
}
_I2I_EXTRAS = {**_STYLED, "negative_prompt": None, "strength": None, "cfg_scale": None}
_OPENAI_ONLY = "OpenAI's GPT image models"


def _edit(extras: dict[str, tuple[str, ...] | None]) -> ModelSpec:
    return ModelSpec(
        prompt_max=10000,
        n_max=10,
        n_per_call=1,
        sizes=("auto",),
        qualities=OPENAI_QUALITIES,
        styles=(),
        response_formats=("b64_json",),
        defaults={"size": "auto"},
        extras=extras,
    )


EDIT_CAPABILITIES = Capabilities(
    # With a mask (or a transparent image, dall-e-2's way) the Inpaint service; with
    # neither, ``edits.py`` turns a defaulted model into sd3 image-to-image.
    default_model=INPAINT,
    n_per_call=1,  # an unknown model is an sd3 one: one image per call
    family_defaults={"": {"size": "auto"}},
    models={
        **{name: _edit(extras) for name, extras in _EDIT_EXTRAS.items()},
        **dict.fromkeys(SD3_MODELS, _edit(_I2I_EXTRAS)),
    },
    model_only={
        "search_prompt": "model search-and-replace",
        "select_prompt": "model search-and-recolor",
        **dict.fromkeys(("left", "right", "up", "down", "creativity"), "model outpaint"),
        "grow_mask": "models inpaint, erase, search-and-replace and search-and-recolor",
        "strength": "the sd3 models (image-to-image)",
        "cfg_scale": "the sd3 models (image-to-image)",
        "negative_prompt": "models inpaint, search-and-*, and the sd3 models",
        "style_preset": "every edit model but erase and remove-background",
        "aspect_ratio": "text-to-image generations",
        "background": _OPENAI_ONLY,
        "input_fidelity": _OPENAI_ONLY,
        "output_compression": _OPENAI_ONLY,
    },
)
