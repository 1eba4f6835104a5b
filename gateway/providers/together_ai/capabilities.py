"""Together AI's serverless image models (FLUX) and their limits.

Portkey has no Together image support; this follows Together's docs
(https://docs.together.ai/docs/inference/images/parameters and /docs/images-overview):
1 to 4 images per call, width and height in pixels (multiples of 8, checked in
``images``), answers as a URL or base64. Quality and style are OpenAI notions
Together does not have: accepted and not sent. Together documents no prompt limit
("varies by model"), so the generic one applies. A request may ask for up to 10 images
(OpenAI's limit), for any model: calls of at most 4, made in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

_FLUX = ModelSpec(prompt_max=32000, n_max=10, n_per_call=4)

_MODELS = (
    "FLUX.1-schnell-Free",
    "FLUX.1-schnell",
    "FLUX.1-dev",
    "FLUX.1-pro",
    "FLUX.1.1-pro",
    "FLUX.2-pro",
    "FLUX.2-dev",
    "FLUX.2-flex",
    "FLUX.2-max",
    "FLUX.1-kontext-pro",
    "FLUX.1-kontext-max",
    "FLUX.1-kontext-dev",
)
# Kontext models take an aspect ratio instead of width and height (parameters page).
ASPECT_RATIO_MODELS = frozenset(
    f"black-forest-labs/{name}" for name in _MODELS if "-kontext-" in name
)

CAPABILITIES = Capabilities(
    default_model="black-forest-labs/FLUX.1-schnell",
    models={f"black-forest-labs/{name}": _FLUX for name in _MODELS},
    n_per_call=4,  # the body builder holds every model to 4 per call
)
