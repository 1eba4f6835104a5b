"""DeepInfra's text-to-image models on its OpenAI-compatible endpoint.

From each model's API page (e.g. https://deepinfra.com/black-forest-labs/FLUX-1-schnell/api):
``n`` is 1 to 4 and ``response_format`` can only be ``b64_json``; sizes "depend on the
model" and are not listed, so the provider judges them. The model list is the one
https://deepinfra.com/models/text-to-image offers. A request may ask for up to 10
images (OpenAI's limit): calls of at most 4, made in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

# No prompt limit is documented; the provider enforces its own.
_SPEC = ModelSpec(prompt_max=32000, n_max=10, n_per_call=4, response_formats=("b64_json",))

CAPABILITIES = Capabilities(
    default_model="black-forest-labs/FLUX-1-schnell",
    models={
        name: _SPEC
        for name in (
            "black-forest-labs/FLUX-1-schnell",
            "black-forest-labs/FLUX-1-dev",
            "black-forest-labs/FLUX-1.1-pro",
            "black-forest-labs/FLUX-pro",
            "stabilityai/sd3.5",
            "stabilityai/sd3.5-medium",
            "stabilityai/sdxl-turbo",
        )
    },
)

# Edits (edits.py): the models DeepInfra and the AI SDK document for its edit endpoint;
# one image per call, ``size`` auto by default (the model keeps the input's), sizes and
# the model options (sent as text) judged by DeepInfra.
_EDIT_SPEC = ModelSpec(
    prompt_max=32000,
    n_max=10,
    n_per_call=1,
    response_formats=("b64_json",),
    defaults={"size": "auto"},
)
EDIT_CAPABILITIES = Capabilities(
    # The one whose masks and multi-image edits are documented.
    default_model="Qwen/Qwen-Image-Edit",
    n_per_call=1,
    family_defaults={"": {"size": "auto"}},  # another model keeps the input's size too
    models={
        name: _EDIT_SPEC
        for name in (
            "Qwen/Qwen-Image-Edit",
            "black-forest-labs/FLUX.1-Kontext-dev",
            "black-forest-labs/FLUX.1-Kontext-pro",
        )
    },
)
