"""OpenAI's image models and their limits.

Read on 2026-12-06: OpenAI's Images API reference for ``POST /v1/images/generations``
(https://developers.openai.com/api/reference/resources/images/methods/generate and its
CLI twin .../reference/cli/resources/images), and the request type generated from
OpenAI's OpenAPI spec in openai-python (src/openai/types/image_generate_params.py,
commit e43b422, 2026-08-21). What they say, per parameter:

- prompt: 32,000 characters for the GPT image models, 1,000 for dall-e-2, 4,000 for
  dall-e-3. ``n``: 1 to 10, dall-e-3 only 1.
- size: dall-e-2 256x256, 512x512, 1024x1024; dall-e-3 1024x1024, 1792x1024,
  1024x1792; gpt-image-1, -mini, -1.5 1024x1024, 1536x1024, 1024x1536 or auto;
  gpt-image-2 any WIDTHxHEIGHT with both sides divisible by 16, a ratio from 1:3 to
  3:1 and at most 3840x2160 (8,294,400 pixels), or auto.
- quality: standard for dall-e-2; standard, hd for dall-e-3; auto, low, medium, high
  for the GPT image models (auto their default).
- style: dall-e-3 only (vivid, natural); dall-e-2 refuses it.
- response_format: dall-e only; the GPT image models refuse it and answer base64.
- GPT image models only: background (transparent, opaque, auto; transparent needs
  output_format png or webp), output_format (png, the default, jpeg, webp),
  output_compression (0-100, only with jpeg or webp), moderation (low, auto),
  stream, partial_images (0-3, for streaming).

dall-e-2 and dall-e-3 were retired on 2026-05-12 and gpt-image-1 shut down on
2026-10-23 (same reference); they stay here for OpenAI-compatible APIs that still
serve them (Azure, Deepbricks). Transparent backgrounds on gpt-image-2 are "in
preview" in one text and refused in the other, so the gateway leaves that to OpenAI.
The reference also names gpt-image-2.5-flare, gpt-image-2.5-sunburst, gpt-image-2.6-*
and chatgpt-image-latest without their limits: they get the generic checks, and
``images.body`` still treats them as GPT image models (no ``response_format``).

``n`` is never fanned out (``gateway.outbound.fanout``): one call makes every image OpenAI
allows, and dall-e-3's ``n`` of 1 is OpenAI's own rule for the whole request, which the
gateway mirrors exactly: above 1 stays a 400 (Azure OpenAI and Deepbricks share it).
"""

from __future__ import annotations

from dataclasses import replace

from ..capabilities import Capabilities, ModelSpec, Needs

# The gateway answers in one piece; streamed events are not relayed (README).
NO_STREAMING = "Streaming is not supported by the gateway yet, so partial images cannot be sent."
GPT_IMAGE_NEEDS = (
    Needs("output_compression", "output_format", ("jpeg", "webp"), default="png"),
    Needs("background", "output_format", ("png", "webp"), ("transparent",), default="png"),
    Needs("partial_images", "stream", (True,), default=False, note=NO_STREAMING),
)
_GPT_IMAGE_EXTRAS = {
    "background": ("transparent", "opaque", "auto"),
    "output_format": ("png", "jpeg", "webp"),
    "output_compression": tuple(range(101)),
    "moderation": ("low", "auto"),
    "partial_images": (0, 1, 2, 3),
}
GPT_IMAGE_DEFAULTS = {"quality": "auto", "style": None, "response_format": "b64_json"}
_GPT_IMAGE_1 = ModelSpec(
    prompt_max=32000,
    n_max=10,
    sizes=("1024x1024", "1536x1024", "1024x1536", "auto"),
    qualities=("auto", "high", "medium", "low"),
    styles=(),  # not supported: OpenAI rejects it for gpt-image models
    response_formats=("b64_json",),
    defaults=GPT_IMAGE_DEFAULTS,
    extras=_GPT_IMAGE_EXTRAS,
    needs=GPT_IMAGE_NEEDS,
)
# Any size by rule instead of a list ("auto" still accepted: ``sizes`` None allows it).
_GPT_IMAGE_2 = replace(
    _GPT_IMAGE_1,
    sizes=None,
    side_range=(16, 3840),
    side_step=16,
    max_ratio=3,
    max_pixels=3840 * 2160,
)
_GPT_ONLY = "gpt-image models"

CAPABILITIES = Capabilities(
    default_model="dall-e-2",
    models={
        "dall-e-2": ModelSpec(
            prompt_max=1000,
            n_max=10,
            sizes=("256x256", "512x512", "1024x1024"),
            qualities=("standard",),
            styles=(),  # dall-e-3 only: OpenAI refuses it for dall-e-2
            defaults={"style": None},
        ),
        "dall-e-3": ModelSpec(
            prompt_max=4000,
            n_max=1,
            sizes=("1024x1024", "1792x1024", "1024x1792"),
            qualities=("standard", "hd"),
            styles=("vivid", "natural"),
        ),
        "gpt-image-1": _GPT_IMAGE_1,
        "gpt-image-1-mini": _GPT_IMAGE_1,
        "gpt-image-1.5": _GPT_IMAGE_1,
        "gpt-image-2": _GPT_IMAGE_2,
        "gpt-image-2-2026-04-21": _GPT_IMAGE_2,
    },
    model_only={name: _GPT_ONLY for name in _GPT_IMAGE_EXTRAS},
    implied_by={name: "gpt-image-1" for name in _GPT_IMAGE_EXTRAS},
    # Newer GPT image models not listed above (gpt-image-2.5-flare, chatgpt-image-latest).
    family_defaults={"gpt-image-": GPT_IMAGE_DEFAULTS, "chatgpt-image-": GPT_IMAGE_DEFAULTS},
)

# Edits and variations (``POST /images/edits``, ``/images/variations``). The route's
# own limits (``gateway/uploads/limits.py``: files, masks, which options each model
# takes) were checked before any provider sees the request; these tables agree with
# them and only add what the generation tables check (prompt length, n, size, quality).
# A GPT image edit keeps the input's size unless one is asked for (``auto``, OpenAI's
# default there), which prices at the dearest size until the answer says which.
EDIT_GPT_DEFAULTS = {**GPT_IMAGE_DEFAULTS, "size": "auto"}
_EDIT_EXTRAS = {
    "background": _GPT_IMAGE_EXTRAS["background"],
    "output_format": _GPT_IMAGE_EXTRAS["output_format"],
    "output_compression": _GPT_IMAGE_EXTRAS["output_compression"],
    "input_fidelity": ("high", "low"),
}
_EDIT_NEEDS = GPT_IMAGE_NEEDS[:2]  # no streaming rule: the route refuses streaming itself


def _gpt_edit(spec: ModelSpec, fidelity: bool = True) -> ModelSpec:
    extras = {k: v for k, v in _EDIT_EXTRAS.items() if fidelity or k != "input_fidelity"}
    return replace(spec, defaults=EDIT_GPT_DEFAULTS, extras=extras, needs=_EDIT_NEEDS)


_DALL_E_2 = CAPABILITIES.models["dall-e-2"]
_EDIT_ONLY = {name: _GPT_ONLY for name in _EDIT_EXTRAS}
_EDIT_ONLY["input_fidelity"] = "gpt-image-1, gpt-image-1.5 and gpt-image-2 (not gpt-image-1-mini)"

EDIT_CAPABILITIES = Capabilities(
    default_model="gpt-image-1.5",  # OpenAI's default for edits
    models={
        "dall-e-2": _DALL_E_2,
        "gpt-image-1": _gpt_edit(_GPT_IMAGE_1),
        "gpt-image-1-mini": _gpt_edit(_GPT_IMAGE_1, fidelity=False),
        "gpt-image-1.5": _gpt_edit(_GPT_IMAGE_1),
        "gpt-image-2": _gpt_edit(_GPT_IMAGE_2),
        "gpt-image-2-2026-04-21": _gpt_edit(_GPT_IMAGE_2),
    },
    model_only=_EDIT_ONLY,
    family_defaults={"gpt-image-": EDIT_GPT_DEFAULTS, "chatgpt-image-": EDIT_GPT_DEFAULTS},
)
# Variations: dall-e-2 only (its generation limits; there is no prompt).
VARIATION_CAPABILITIES = Capabilities(default_model="dall-e-2", models={"dall-e-2": _DALL_E_2})
