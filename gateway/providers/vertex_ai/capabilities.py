"""Imagen models on Vertex AI and their limits. Pure: no IO.

- Sizes: each model renders five aspect ratios at fixed resolutions (1:1 1024x1024,
  3:4 896x1280, 4:3 1280x896, 9:16 768x1408, 16:9 1408x768), so a ``size`` is one of
  those and becomes ``aspectRatio``
  (cloud.google.com/vertex-ai/generative-ai/docs/models/imagen/3-0-generate-002).
- ``sampleCount`` 1 to 4; Vertex defaults to 4 when it is absent
  (cloud.google.com/vertex-ai/generative-ai/docs/image/use-prompt-rewriter), so the
  gateway always sends ``n``. A request may ask for up to 10 (OpenAI's limit): more
  than 4 become several calls of at most 4, made in parallel (``gateway.outbound.fanout``).
- Negative prompts only on imagen-3.0-generate-001 and imagen-3.0-fast-generate-001
  (cloud.google.com/vertex-ai/generative-ai/docs/image/omit-content-using-a-negative-prompt).
- ``enhancePrompt`` (the prompt rewriter) on Imagen 4 and imagen-3.0-generate-002;
  ``sampleImageSize`` "1K"/"2K" on Imagen 4 Standard and Ultra
  (cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/Shared.Types/
  VisionGenerativeModelParams).
- The prompt limit is 480 tokens, not characters: left to Google.
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec
from ..sizes import ratio_sizes

RATIOS = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
RATIO_OF_SIZE = {f"{w}x{h}": ratio for ratio, (w, h) in RATIOS.items()}
# OpenAI's quality and style values: accepted so an OpenAI-shaped request can fall
# back to Imagen, never sent (Imagen has no such knob).
OPENAI_QUALITIES = ("standard", "hd")
OPENAI_STYLES = ("vivid", "natural")
PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
# Current names, then the deprecated ones Google still accepts.
SAFETY_SETTINGS = (
    "block_low_and_above",
    "block_medium_and_above",
    "block_only_high",
    "block_none",
    "block_most",
    "block_some",
    "block_few",
    "block_fewest",
)
MIME_TYPES = ("image/png", "image/jpeg")
OUTPUT_FORMATS = {"png": "image/png", "jpeg": "image/jpeg"}
BOOLEAN = (True, False)
# Extras every Imagen model takes: name -> allowed values (None: checked when built).
COMMON = {
    "seed": None,
    "personGeneration": PERSON_GENERATION,
    "safetySetting": SAFETY_SETTINGS,
    "addWatermark": BOOLEAN,
    "includeRaiReason": BOOLEAN,
    "mimeType": MIME_TYPES,
    "output_format": tuple(OUTPUT_FORMATS),
    "compressionQuality": tuple(range(101)),
    "language": None,
    "aspectRatio": tuple(RATIOS),
}
_NEGATIVE = {"negativePrompt": None, "negative_prompt": None}
_REWRITER = {"enhancePrompt": BOOLEAN}
_TWO_K = {"sampleImageSize": ("1K", "2K")}


def _spec(**extras: tuple[object, ...] | None) -> ModelSpec:
    return ModelSpec(
        prompt_max=32000,
        n_max=10,
        n_per_call=4,
        sizes=(*ratio_sizes(RATIOS), "auto"),
        qualities=OPENAI_QUALITIES,
        styles=OPENAI_STYLES,
        response_formats=("b64_json",),
        extras={**COMMON, **extras},
    )


CAPABILITIES = Capabilities(
    default_model="imagen-4.0-generate-001",
    n_per_call=4,  # every Imagen model, known or not, takes sampleCount 1 to 4
    models={
        "imagen-4.0-generate-001": _spec(**_REWRITER, **_TWO_K),
        "imagen-4.0-ultra-generate-001": _spec(**_REWRITER, **_TWO_K),
        "imagen-4.0-fast-generate-001": _spec(**_REWRITER),
        "imagen-3.0-generate-002": _spec(**_REWRITER),
        "imagen-3.0-generate-001": _spec(**_NEGATIVE),
        "imagen-3.0-fast-generate-001": _spec(**_NEGATIVE),
    },
    model_only={
        "negativePrompt": "imagen-3.0-generate-001 and imagen-3.0-fast-generate-001",
        "negative_prompt": "imagen-3.0-generate-001 and imagen-3.0-fast-generate-001",
        "enhancePrompt": "Imagen 4 and imagen-3.0-generate-002",
        "sampleImageSize": "imagen-4.0-generate-001 and imagen-4.0-ultra-generate-001",
    },
)


# Edits (``edits.py``): Imagen's editing model. The output keeps the input image's size,
# so ``size`` is ``auto`` (or that size); a form's values arrive as text.
EDIT_MODEL = "imagen-3.0-capability-001"
EDIT_MODES = {
    "inpaint_insertion": "EDIT_MODE_INPAINT_INSERTION",
    "inpaint_removal": "EDIT_MODE_INPAINT_REMOVAL",
    "outpaint": "EDIT_MODE_OUTPAINT",
    "bgswap": "EDIT_MODE_BGSWAP",
    "default": "EDIT_MODE_DEFAULT",
}
MASK_MODES = {
    "user_provided": "MASK_MODE_USER_PROVIDED",
    "background": "MASK_MODE_BACKGROUND",
    "foreground": "MASK_MODE_FOREGROUND",
}
_FORM_BOOLEAN = ("true", "false", True, False)
_EDIT_EXTRAS: dict[str, tuple[object, ...] | None] = {
    **dict.fromkeys(("seed", "language", "compressionQuality"), None),
    **dict.fromkeys(("negative_prompt", "negativePrompt"), None),
    **dict.fromkeys(("base_steps", "guidance_scale", "mask_dilation"), None),
    "personGeneration": PERSON_GENERATION,
    "safetySetting": SAFETY_SETTINGS,
    "addWatermark": _FORM_BOOLEAN,
    "includeRaiReason": _FORM_BOOLEAN,
    "mimeType": MIME_TYPES,
    "output_format": tuple(OUTPUT_FORMATS),
    "background": ("auto", "opaque"),  # no transparent output
    "edit_mode": (*EDIT_MODES, *EDIT_MODES.values()),
    "mask_mode": (*MASK_MODES, *MASK_MODES.values()),
}
EDIT_CAPABILITIES = Capabilities(
    default_model=EDIT_MODEL,
    n_per_call=4,
    family_defaults={"": {"size": "auto"}},  # an edit keeps the input's size, any model
    models={
        EDIT_MODEL: ModelSpec(
            prompt_max=32000,
            n_max=10,
            n_per_call=4,
            qualities=("auto", "standard", "hd", "low", "medium", "high"),
            styles=(),
            response_formats=("b64_json",),
            defaults={"size": "auto"},
            extras=_EDIT_EXTRAS,
        )
    },
    model_only={
        "aspectRatio": "image generations (an edit keeps the input's size)",
        "enhancePrompt": "image generations",
        "sampleImageSize": "image generations",
    },
)
