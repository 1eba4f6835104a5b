"""Workers AI text-to-image models and how each takes its parameters. Pure: no IO.

From each model's input schema in Cloudflare's catalogue
(developers.cloudflare.com/workers-ai/models/<name>, mirrored in cloudflare-docs
``src/content/workers-ai-models/<name>.json``). Every run makes one image. FLUX.1
schnell takes no size (it draws 1024x1024) and names its step count ``steps``; the
Stable Diffusion family and Leonardo's models take ``width``/``height`` and
``num_steps``. SDXL, SDXL-Lightning, DreamShaper and Phoenix answer raw image bytes,
FLUX and Lucid Origin JSON with base64. A request may ask for up to 10 images (OpenAI's
limit), for any model: one run each, made in parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..capabilities import Capabilities, ModelSpec

FLUX_SCHNELL = "@cf/black-forest-labs/flux-1-schnell"
SDXL = "@cf/stabilityai/stable-diffusion-xl-base-1.0"
SDXL_LIGHTNING = "@cf/bytedance/stable-diffusion-xl-lightning"
DREAMSHAPER = "@cf/lykon/dreamshaper-8-lcm"
PHOENIX = "@cf/leonardo/phoenix-1.0"
LUCID_ORIGIN = "@cf/leonardo/lucid-origin"
# Image edits (edits.py): Stable Diffusion 1.5 with an input image, and with a mask.
INPAINTING = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img"

# OpenAI's quality and style values: accepted so an OpenAI-shaped request can fall
# back to Workers AI, never sent (no model has such a knob).
OPENAI_QUALITIES = ("standard", "hd")
OPENAI_STYLES = ("vivid", "natural")
# No documented upper bound: a non-negative integer a JSON number holds exactly.
SEED = (0, 2**53 - 1)


@dataclass(frozen=True)
class Model:
    """How one model takes its parameters (ranges are inclusive; None: unbounded)."""

    prompt_max: int
    steps_field: str  # where the caller's ``steps``/``num_steps`` goes
    steps_max: int
    # Allowed width/height in pixels; None: the model takes no size.
    sides: tuple[int, int] | None = None
    numbers: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    negative_prompt: bool = False


_SD = Model(
    prompt_max=32000,
    steps_field="num_steps",
    steps_max=20,
    sides=(256, 2048),
    numbers={"guidance": (None, None), "seed": SEED},
    negative_prompt=True,
)
MODELS: Mapping[str, Model] = {
    FLUX_SCHNELL: Model(prompt_max=2048, steps_field="steps", steps_max=8, numbers={"seed": SEED}),
    SDXL: _SD,
    SDXL_LIGHTNING: _SD,
    DREAMSHAPER: _SD,
    PHOENIX: Model(
        prompt_max=32000,
        steps_field="num_steps",
        steps_max=50,
        sides=(1, 2048),
        numbers={"guidance": (2, 10), "seed": SEED},
        negative_prompt=True,
    ),
    LUCID_ORIGIN: Model(
        prompt_max=32000,
        steps_field="num_steps",
        steps_max=40,
        sides=(1, 2500),
        numbers={"guidance": (0, 10), "seed": SEED},
    ),
}
# What an unknown model gets (Portkey's set): the step count under both names.
UNKNOWN_STEPS = ("num_steps", "steps")
UNKNOWN_NUMBERS: Mapping[str, tuple[float | None, float | None]] = {
    "guidance": (None, None),
    "seed": SEED,
}


def _spec(model: Model) -> ModelSpec:
    extras: dict[str, None] = {"steps": None, "num_steps": None}
    extras.update((name, None) for name in model.numbers)
    if model.negative_prompt:
        extras["negative_prompt"] = None
    return ModelSpec(
        prompt_max=model.prompt_max,
        n_max=10,
        n_per_call=1,
        sizes=("1024x1024", "auto") if model.sides is None else None,
        side_range=model.sides,
        qualities=OPENAI_QUALITIES,
        styles=OPENAI_STYLES,
        response_formats=("b64_json",),
        extras=extras,
    )


CAPABILITIES = Capabilities(
    default_model=FLUX_SCHNELL,
    n_per_call=1,  # every run makes one image, whatever the model
    models={name: _spec(model) for name, model in MODELS.items()},
    model_only={
        "negative_prompt": "the Stable Diffusion models and Phoenix",
        "guidance": "the Stable Diffusion and Leonardo models",
    },
)

# Edits: both SD 1.5 models take the same input (width/height 256-2048, num_steps up to
# 20); ``auto`` (the default) sends no size. The default names the inpainting model,
# and edits.py picks img2img when the request marks no area.
_EDIT_SPEC = ModelSpec(
    prompt_max=32000,
    n_max=10,
    n_per_call=1,
    side_range=(256, 2048),
    # OpenAI's edit qualities (low ... high, auto) are accepted so an OpenAI-shaped edit
    # can fall back here; no model has such a knob, so none is sent.
    qualities=None,
    response_formats=("b64_json",),
    defaults={"size": "auto"},
    extras=dict.fromkeys(("steps", "num_steps", "strength", "guidance", "seed", "negative_prompt")),
)
EDIT_CAPABILITIES = Capabilities(
    default_model=INPAINTING,
    n_per_call=1,
    models={INPAINTING: _EDIT_SPEC, IMG2IMG: _EDIT_SPEC},
)
