"""SiliconFlow's text-to-image models and their limits.

From https://docs.siliconflow.cn/api-reference/images/images-generations:
``batch_size`` (our ``n``) is 1 to 4 and, like ``guidance_scale``, applies to Kolors
only; ``num_inference_steps`` is 1 to 100; ``seed`` 0 to 9999999999. Sizes are free
``WxH`` values; the docs recommend some per model (Kolors 1024x1024, 960x1280,
768x1024, 720x1440, 720x1280; Qwen-Image 1328x1328, 1664x928, 928x1664, ...) but do
not refuse others, so neither does the gateway.

Those ``batch_size`` limits are per call: a request may ask for up to 10 images
(OpenAI's limit), made as calls of at most 4 (Kolors) or 1 (Qwen-Image), in parallel
(``gateway.outbound.fanout``).
"""

from __future__ import annotations

from ..capabilities import Capabilities, ModelSpec

KOLORS = "Kwai-Kolors/Kolors"
QWEN_IMAGE = "Qwen/Qwen-Image"
_STEPS = tuple(range(1, 101))

CAPABILITIES = Capabilities(
    default_model=KOLORS,
    models={
        KOLORS: ModelSpec(
            prompt_max=32000,
            n_max=10,
            n_per_call=4,
            response_formats=("url",),
            extras={
                "num_inference_steps": _STEPS,
                "batch_size": tuple(range(1, 5)),
                "guidance_scale": None,
            },
        ),
        QWEN_IMAGE: ModelSpec(
            prompt_max=32000,
            n_max=10,
            n_per_call=1,
            response_formats=("url",),
            # The docs require image_size and recommend this square one for Qwen-Image.
            defaults={"size": "1328x1328"},
            extras={"num_inference_steps": _STEPS, "cfg": None},
        ),
    },
    model_only={
        "batch_size": KOLORS,
        "guidance_scale": KOLORS,
        "cfg": QWEN_IMAGE,
    },
)
