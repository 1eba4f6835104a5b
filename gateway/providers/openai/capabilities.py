"""OpenAI's image models and their limits.

dall-e-2 and dall-e-3 values come from shared/seeds (000, 001); gpt-image-1's from
OpenAI's Images API reference (sizes, quality, background, output_format,
output_compression, moderation; it always answers with base64).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

_GPT_IMAGE = ModelSpec(
    prompt_max=32000,
    n_max=10,
    sizes=("1024x1024", "1536x1024", "1024x1536", "auto"),
    qualities=("auto", "high", "medium", "low"),
    styles=(),  # not supported: OpenAI rejects it for gpt-image models
    response_formats=("b64_json",),
    defaults={"quality": "auto", "style": None, "response_format": "b64_json"},
    extras={
        "background": ("transparent", "opaque", "auto"),
        "output_format": ("png", "jpeg", "webp"),
        "output_compression": tuple(range(101)),
        "moderation": ("low", "auto"),
    },
)

CAPABILITIES = Capabilities(
    default_model="dall-e-2",
    models={
        "dall-e-2": ModelSpec(
            prompt_max=1000,
            n_max=10,
            sizes=("256x256", "512x512", "1024x1024"),
            qualities=("standard",),
            styles=("vivid", "natural"),  # accepted and ignored by OpenAI (seeds)
        ),
        "dall-e-3": ModelSpec(
            prompt_max=4000,
            n_max=1,
            sizes=("1024x1024", "1792x1024", "1024x1792"),
            qualities=("standard", "hd"),
            styles=("vivid", "natural"),
        ),
        "gpt-image-1": _GPT_IMAGE,
        "gpt-image-1-mini": _GPT_IMAGE,
        "gpt-image-1.5": _GPT_IMAGE,
    },
    model_only={
        "background": "gpt-image models",
        "output_format": "gpt-image models",
        "output_compression": "gpt-image models",
        "moderation": "gpt-image models",
    },
    implied_by={
        "background": "gpt-image-1",
        "output_format": "gpt-image-1",
        "output_compression": "gpt-image-1",
        "moderation": "gpt-image-1",
    },
)
