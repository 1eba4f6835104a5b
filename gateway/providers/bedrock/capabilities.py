"""Bedrock's image models and their limits, by family. Pure: no IO.

- Stability SDXL 1.0 (``stability.stable-diffusion-xl-v1``): the v1 JSON API, nine
  sizes, one sample per call on Bedrock, ``cfg_scale`` 0-35, ``steps`` 10-50
  (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-1-0-text-image.html).
- Stability SD3 / SD3.5 Large, Stable Image Core and Ultra: one image, an
  ``aspect_ratio`` from nine values (offered as SD3's ~1 MP sizes), prompt up to 10000
  characters; answers ``{seeds, finish_reasons, images}``
  (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-stable-ultra-text-image-request-response.html).
- Amazon Titan Image Generator G1 v1/v2: 1-5 images, 25 fixed sizes, prompt up to 512
  characters, ``cfgScale`` 1.1-10, ``seed`` 0-2147483646
  (docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html).
- Amazon Nova Canvas: 1-5 images, prompt up to 1024 characters, any size with sides
  320-4096 divisible by 16, ratio at most 4:1 and fewer than 4,194,304 pixels,
  ``cfgScale`` 1.1-10, ``seed`` 0-858993459, optional ``style``
  (docs.aws.amazon.com/nova/latest/userguide/image-gen-req-resp-structure.html).

Cross-region inference profiles (``us.``, ``eu.``, ``apac.`` ...) name the same models.

Bedrock invokes a model once per call, so those per-call limits are ``n_per_call``: a
request may ask for up to 10 images (OpenAI's limit) and the gateway makes as many
calls as needed, in parallel (``gateway.outbound.fanout``): 10 calls for Stability, 2 for Titan.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..capabilities import Capabilities, ModelSpec
from ..sizes import ratio_sizes
from ..stability_tables import SD3_RATIOS, SDXL_SIZES, STYLE_PRESETS

SDXL, STABILITY, AMAZON = "sdxl", "stability", "amazon"
_PROFILE = re.compile(r"^(?:us|eu|apac|jp|au|ca|us-gov|global)\.(?=stability\.|amazon\.)")

# SD3/Core/Ultra: ratio -> the ~1 MP size offered for it (the size names the ratio).
RATIOS = SD3_RATIOS
RATIO_OF_SIZE = {f"{w}x{h}": ratio for ratio, (w, h) in RATIOS.items()}
TITAN_SIZES = (
    "1024x1024",
    "768x768",
    "512x512",
    "768x1152",
    "384x576",
    "1152x768",
    "576x384",
    "768x1280",
    "384x640",
    "1280x768",
    "640x384",
    "896x1152",
    "448x576",
    "1152x896",
    "576x448",
    "768x1408",
    "384x704",
    "1408x768",
    "704x384",
    "640x1408",
    "320x704",
    "1408x640",
    "704x320",
    "1152x640",
    "1173x640",
)
NOVA_STYLES = (
    "3D_ANIMATED_FAMILY_FILM",
    "DESIGN_SKETCH",
    "FLAT_VECTOR_ILLUSTRATION",
    "GRAPHIC_NOVEL_ILLUSTRATION",
    "MAXIMALISM",
    "MIDCENTURY_RETRO",
    "PHOTOREALISM",
    "SOFT_DIGITAL_PAINTING",
)
# OpenAI's values: accepted so an OpenAI-shaped request can fall back to Bedrock.
# "hd" becomes Titan/Nova "premium"; "vivid"/"natural" are never sent.
OPENAI_QUALITIES = ("standard", "hd")
OPENAI_STYLES = ("vivid", "natural")
# Numeric limits checked when the body is built (inclusive).
SDXL_RANGES = {"cfg_scale": (0, 35), "steps": (10, 50), "seed": (0, 4294967295)}
STABILITY_RANGES = {"seed": (0, 4294967294)}
TITAN_RANGES = {"cfg_scale": (1.1, 10), "seed": (0, 2147483646)}
NOVA_RANGES = {"cfg_scale": (1.1, 10), "seed": (0, 858993459)}
NOVA_SIDES = (320, 4096)
NOVA_MAX_PIXELS = 4_194_304

_SDXL = ModelSpec(
    prompt_max=2000,
    n_max=10,
    n_per_call=1,
    sizes=SDXL_SIZES,
    qualities=OPENAI_QUALITIES,
    styles=OPENAI_STYLES + STYLE_PRESETS,
    response_formats=("b64_json",),
    extras={
        "negative_prompt": None,
        "cfg_scale": None,
        "steps": None,
        "seed": None,
        "style_preset": STYLE_PRESETS,
    },
)
_STABILITY = ModelSpec(
    prompt_max=10000,
    n_max=10,
    n_per_call=1,
    sizes=(*ratio_sizes(RATIOS), "auto"),
    qualities=OPENAI_QUALITIES,
    styles=OPENAI_STYLES,
    response_formats=("b64_json",),
    extras={
        "negative_prompt": None,
        "seed": None,
        "aspect_ratio": tuple(RATIOS),
        "output_format": ("png", "jpeg"),
    },
)
_AMAZON = {"negative_prompt": None, "cfg_scale": None, "seed": None}
_TITAN = ModelSpec(
    prompt_max=512,
    n_max=10,
    n_per_call=5,
    sizes=TITAN_SIZES,
    qualities=(*OPENAI_QUALITIES, "premium"),
    styles=OPENAI_STYLES,
    response_formats=("b64_json",),
    extras=_AMAZON,
)
_NOVA = ModelSpec(
    prompt_max=1024,
    n_max=10,
    n_per_call=5,
    sizes=None,  # a rule, not a list; ratio and pixel count checked when the body is built
    side_range=NOVA_SIDES,
    side_step=16,
    qualities=(*OPENAI_QUALITIES, "premium"),
    styles=OPENAI_STYLES + NOVA_STYLES,
    response_formats=("b64_json",),
    extras=_AMAZON,
)
_BASE = {
    "stability.stable-diffusion-xl-v1": _SDXL,
    "stability.sd3-5-large-v1:0": _STABILITY,
    "stability.sd3-large-v1:0": _STABILITY,
    "stability.stable-image-core-v1:0": _STABILITY,
    "stability.stable-image-core-v1:1": _STABILITY,
    "stability.stable-image-ultra-v1:0": _STABILITY,
    "stability.stable-image-ultra-v1:1": _STABILITY,
    "amazon.titan-image-generator-v1": _TITAN,
    "amazon.titan-image-generator-v2:0": _TITAN,
    "amazon.nova-canvas-v1:0": _NOVA,
}
_PROFILES = ("", "us.", "eu.", "apac.")

CAPABILITIES = Capabilities(
    default_model="stability.stable-image-core-v1:1",
    # A model id the table does not know (an ARN, a new model): one image per call suits
    # every family (Stability models make no more).
    n_per_call=1,
    models={prefix + model: spec for model, spec in _BASE.items() for prefix in _PROFILES},
    model_only={
        "cfg_scale": "SDXL, Titan Image Generator and Nova Canvas",
        "steps": "Stable Diffusion XL",
        "style_preset": "Stable Diffusion XL",
        "aspect_ratio": "SD3, Stable Image Core and Ultra",
        "output_format": "SD3, Stable Image Core and Ultra",
    },
)


# Edits and variations: Titan's and Nova Canvas's editing tasks (``edits.py``). ``auto``
# keeps the input's size (in/outpainting) or the model's default (a variation).
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
_UPLOADED = {"size": "auto"}
_VARIATION_EXTRAS = {**_AMAZON, "similarity_strength": None}
_MODES = ("DEFAULT", "PRECISE")
_EDIT_EXTRAS = {**_VARIATION_EXTRAS, "mask_prompt": None, "outpainting_mode": _MODES}
_TITAN_UPLOAD = replace(_TITAN, sizes=(*TITAN_SIZES, "auto"), styles=(), defaults=_UPLOADED)
_NOVA_UPLOAD = replace(_NOVA, styles=(), defaults=_UPLOADED)
_AMAZON_UPLOAD = {
    "amazon.titan-image-generator-v1": _TITAN_UPLOAD,
    "amazon.titan-image-generator-v2:0": _TITAN_UPLOAD,
    NOVA_CANVAS: _NOVA_UPLOAD,
}


def _upload_table(extras: dict[str, tuple[str, ...] | None]) -> Capabilities:
    # A model id the table does not know (an ARN): one image per call, as generations.
    return Capabilities(
        default_model=NOVA_CANVAS,
        n_per_call=1,
        family_defaults={"": _UPLOADED},  # an ARN's edit keeps the input's size too
        models={
            prefix + model: replace(spec, extras=extras)
            for model, spec in _AMAZON_UPLOAD.items()
            for prefix in _PROFILES
        },
    )


EDIT_CAPABILITIES = _upload_table(_EDIT_EXTRAS)
VARIATION_CAPABILITIES = _upload_table(_VARIATION_EXTRAS)


def base_model(model: str) -> str:
    """The foundation model behind a cross-region inference profile id."""
    return _PROFILE.sub("", model, count=1)


def family(model: str) -> str | None:
    """Which request shape a model id takes; None when the id says nothing (an ARN)."""
    model = base_model(model)
    if model.startswith("stability.stable-diffusion-xl"):
        return SDXL
    if model.startswith("stability."):
        return STABILITY
    if model.startswith(("amazon.titan-image-generator", "amazon.nova-canvas")):
        return AMAZON
    return None


def is_nova(model: str) -> bool:
    return base_model(model).startswith("amazon.nova-canvas")
