"""Each model's limits for image edits and variations, as data. Pure: no IO.

Read on 2026-12-06 in OpenAI's API reference for ``images.edit`` and
``images.createVariation``
(https://developers.openai.com/api/reference/resources/images/methods/edit and
https://developers.openai.com/api/reference/resources/images/methods/create_variation),
through the request types generated from OpenAI's OpenAPI spec in openai-python
(src/openai/types/image_edit_params.py and image_create_variation_params.py, commit
e43b422, 2026-08-21). What they say, in our words:

- Edits, dall-e-2: exactly one image, a square PNG of less than 4 MB. Without a mask,
  the image's own transparent areas say what to edit, so it needs transparency.
  Prompt up to 1,000 characters; sizes 256x256, 512x512, 1024x1024; quality standard.
- Edits, GPT image models (gpt-image-1, -1-mini, -1.5, -2, -2-2026-04-21): up to 16
  images, each a png, webp or jpg of less than 50 MB. Prompt up to 32,000 characters.
  Sizes 1024x1024, 1536x1024, 1024x1536 or auto; gpt-image-2 takes any WIDTHxHEIGHT
  whose sides are multiples of 16 with a ratio from 1:3 to 3:1, up to 3840x2160.
  quality auto, low, medium, high; background transparent, opaque, auto
  (transparent needs a png or webp output); output_format png (the default), jpeg,
  webp; output_compression 0 to 100, only for jpeg or webp output; input_fidelity
  high or low, for gpt-image-1, gpt-image-1.5 and later, not gpt-image-1-mini.
- The mask (every model): a PNG of less than 4 MB with the dimensions of the (first)
  image, whose fully transparent pixels (alpha 0) mark where to edit: it needs alpha.
- n: 1 to 10. The model defaults to gpt-image-1.5 for edits, dall-e-2 for variations.
- Variations: dall-e-2 only: one square PNG of less than 4 MB; sizes as its edits.

The GPT image models answer base64 only; the gateway hosts the image when ``url`` is
asked, as for generations, so ``response_format`` takes both values for every model.
"Less than 4 MB" is read as at most 4 MiB: a limit the gateway sets too tight would
refuse what OpenAI takes, one too loose only lets OpenAI answer the 400 itself.
A model the table does not know gets the generic limits (STYLE.md: providers ship new
models every month); dall-e-3, and the GPT image models for variations, are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..value_rules import Needs
from .models import MIB

DEFAULT_EDIT_MODEL = "gpt-image-1.5"
DEFAULT_VARIATION_MODEL = "dall-e-2"
RESPONSE_FORMATS = ("url", "b64_json")
ANY_FORMAT = ("png", "jpeg", "webp")
# The text options a model may take, checked against its ``options`` (absent: refused).
OPTIONS = ("quality", "background", "output_format", "input_fidelity", "response_format")


@dataclass(frozen=True, slots=True)
class SizeRule:
    """Any WIDTHxHEIGHT by rule instead of a list (gpt-image-2); ``auto`` is taken too."""

    step: int
    max_side: int
    max_ratio: int
    max_pixels: int


@dataclass(frozen=True, slots=True)
class MaskLimits:
    formats: tuple[str, ...]
    max_bytes: int
    same_size: bool  # the dimensions of the first image
    alpha: bool  # an alpha channel (its transparent pixels are the mask)


@dataclass(frozen=True, slots=True)
class ModelLimits:
    max_images: int
    formats: tuple[str, ...]  # of the input images, read from their bytes
    max_image_bytes: int
    mask: MaskLimits | None  # None: no mask is taken
    square: bool = False
    alpha_without_mask: bool = False  # no mask: the image's transparency is the mask
    prompt_max: int = 32000
    n_max: int = 10
    sizes: tuple[str, ...] | None = None  # None: by ``size_rule``, or any WxH or auto
    size_rule: SizeRule | None = None
    options: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)  # None: any
    compression: bool = False  # output_compression (0-100) is taken
    needs: tuple[Needs, ...] = ()


OPENAI_MASK = MaskLimits(formats=("png",), max_bytes=4 * MIB, same_size=True, alpha=True)
# Other providers take masks of their own kinds (Stability: black and white, no alpha).
GENERIC_MASK = MaskLimits(formats=ANY_FORMAT, max_bytes=50 * MIB, same_size=False, alpha=False)

_DALL_E_2 = ModelLimits(
    max_images=1,
    formats=("png",),
    max_image_bytes=4 * MIB,
    mask=OPENAI_MASK,
    square=True,
    alpha_without_mask=True,
    prompt_max=1000,
    sizes=("256x256", "512x512", "1024x1024"),
    options={"quality": ("standard",), "response_format": RESPONSE_FORMATS},
)
_GPT_OPTIONS: Mapping[str, tuple[str, ...] | None] = {
    "quality": ("auto", "low", "medium", "high"),
    "background": ("transparent", "opaque", "auto"),
    "output_format": ("png", "jpeg", "webp"),
    "input_fidelity": ("high", "low"),
    "response_format": RESPONSE_FORMATS,
}
_GPT_IMAGE_1 = ModelLimits(
    max_images=16,
    formats=ANY_FORMAT,
    max_image_bytes=50 * MIB,
    mask=OPENAI_MASK,
    sizes=("1024x1024", "1536x1024", "1024x1536", "auto"),
    options=_GPT_OPTIONS,
    compression=True,
    needs=(
        Needs("output_compression", "output_format", ("jpeg", "webp"), default="png"),
        Needs(
            "background", "output_format", ("png", "webp"), default="png", values=("transparent",)
        ),
    ),
)
_GPT_IMAGE_1_MINI = replace(
    _GPT_IMAGE_1,
    options={k: v for k, v in _GPT_OPTIONS.items() if k != "input_fidelity"},
)
_GPT_IMAGE_2 = replace(
    _GPT_IMAGE_1,
    sizes=None,
    size_rule=SizeRule(step=16, max_side=3840, max_ratio=3, max_pixels=3840 * 2160),
)

EDIT_MODELS: Mapping[str, ModelLimits] = {
    "dall-e-2": _DALL_E_2,
    "gpt-image-1": _GPT_IMAGE_1,
    "gpt-image-1-mini": _GPT_IMAGE_1_MINI,
    "gpt-image-1.5": _GPT_IMAGE_1,
    "gpt-image-2": _GPT_IMAGE_2,
    "gpt-image-2-2026-04-21": _GPT_IMAGE_2,
}
VARIATION_MODELS: Mapping[str, ModelLimits] = {
    "dall-e-2": replace(
        _DALL_E_2,
        mask=None,
        alpha_without_mask=False,
        options={
            "response_format": RESPONSE_FORMATS,
        },
    ),
}
# Known models that do not serve the route: a 400 before any call.
EDIT_REFUSED = frozenset({"dall-e-3"})
VARIATION_REFUSED = frozenset({"dall-e-3", *EDIT_MODELS}) - VARIATION_MODELS.keys()

GENERIC_EDIT = ModelLimits(
    max_images=16,
    formats=ANY_FORMAT,
    max_image_bytes=50 * MIB,
    mask=GENERIC_MASK,
    options=dict.fromkeys(OPTIONS[:-1]) | {"response_format": RESPONSE_FORMATS},
    compression=True,
)
GENERIC_VARIATION = ModelLimits(
    max_images=1,
    formats=ANY_FORMAT,
    max_image_bytes=50 * MIB,
    mask=None,
    options={"response_format": RESPONSE_FORMATS},
)
