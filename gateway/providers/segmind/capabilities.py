"""Segmind's image models and their limits. Pure: no IO.

Segmind serves hundreds of models, one URL each, with per-model parameters; the table
knows the Stable Diffusion ones Portkey's parameter list was written for, with the
limits of their API pages (segmind.com/models/<model>/api):

- ``sdxl1.0-txt2img``: each side 512 to 2048 in steps of 8 (checked in images.py: too
  many sizes for a tuple), 1 to 4 samples, 20 to 100 steps, guidance 1 to 25.
- ``ssd-1b``: 1024x1024 only, 1 to 4 samples, 20 to 100 steps, guidance 1 to 25.

Any other model passes through with generic checks and Portkey's parameter set.
A known model's ``samples`` limit is per call: a request may ask for up to 10 images
(OpenAI's limit), made as calls of at most 4, in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

SDXL = "sdxl1.0-txt2img"
SSD_1B = "ssd-1b"
SDXL_SIDES = range(512, 2049, 8)
# Numeric limits checked before sending (inclusive).
RANGES = {
    "steps": (20, 100),
    "num_inference_steps": (20, 100),
    "guidance_scale": (1, 25),
    "high_noise_fraction": (0, 1),
    "strength": (0, 1),
}
_COMMON = {
    "negative_prompt": None,
    "scheduler": None,
    "steps": None,
    "num_inference_steps": None,
    "guidance_scale": None,
    "seed": None,
}


def _spec(
    sizes: tuple[str, ...] | None,
    styles: tuple[str, ...] | None,
    extras: dict[str, tuple[object, ...] | None],
) -> ModelSpec:
    # OpenAI's quality values (and vivid/natural styles) are accepted and not sent.
    return ModelSpec(
        prompt_max=32000,
        n_max=10,
        n_per_call=4,
        sizes=sizes,
        qualities=("standard", "hd"),
        styles=styles,
        response_formats=("b64_json",),
        extras=extras,
    )


CAPABILITIES = Capabilities(
    # Portkey leaves the model to the caller; SDXL 1.0 is the model its parameter
    # list (style, refiner, high_noise_fraction) was written for.
    default_model=SDXL,
    models={
        # styles: any Segmind style name ("base", "cinematic", ...), sent as ``style``.
        SDXL: _spec(
            None,
            None,
            {**_COMMON, "strength": None, "refiner": (True, False), "high_noise_fraction": None},
        ),
        SSD_1B: _spec(("1024x1024",), ("vivid", "natural"), _COMMON),
    },
)
