"""Nscale's image models and their limits.

https://docs.nscale.com/api-reference/inferencing/create-image: ``model`` and
``prompt`` are required, ``size`` defaults to 512x512, ``n`` to 1; the answer is
``data[].b64_json`` only. No size list or ``n`` limit is published, so Nscale judges them.
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

_SPEC = ModelSpec(
    prompt_max=32000,
    n_max=10,
    response_formats=("b64_json",),
    defaults={"size": "512x512"},
)

CAPABILITIES = Capabilities(
    default_model="black-forest-labs/FLUX.1-schnell",
    models={
        "black-forest-labs/FLUX.1-schnell": _SPEC,
        "stabilityai/stable-diffusion-xl-base-1.0": _SPEC,
    },
)
