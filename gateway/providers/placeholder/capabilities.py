"""The placeholder's limits: any size from 64 to 2048 pixels a side, up to 10 images."""

from __future__ import annotations

from dataclasses import replace

from ..capabilities import Capabilities, ModelSpec

MIN_SIDE = 64
MAX_SIDE = 2048

CAPABILITIES = Capabilities(
    default_model="placeholder",
    models={
        "placeholder": ModelSpec(
            prompt_max=32000,
            n_max=10,
            response_formats=("b64_json",),
            side_range=(MIN_SIDE, MAX_SIDE),
            defaults={"size": "1024x1024"},
        )
    },
)

# Edits and variations keep the input image's size unless one is asked for.
UPLOAD_CAPABILITIES = replace(
    CAPABILITIES,
    models={"placeholder": replace(CAPABILITIES.models["placeholder"], defaults={"size": "auto"})},
)
