"""Fireworks' published image prices: per inference step. Pure: no IO.

Fireworks bills image models per denoising step (fireworks.ai/pricing). FLUX.1
[schnell] FP8 is $0.00035 per step and runs 4 steps unless asked otherwise, $0.0014
an image (as quoted from fireworks.ai/pricing by lumenfall.ai, read 2026-11-26), so
its price follows ``num_inference_steps``. Left out, cost unknown: FLUX.1 [dev] and
the SDXL family, whose per-step prices and default steps could not be confirmed.
"""

from __future__ import annotations

from ...models import ImageRequest
from ..pricing import ANY, Price, PriceTable, lookup, usd
from .capabilities import ACCOUNT_PREFIX

_PAGE = "https://fireworks.ai/pricing (read 2026-11-26)"
PER_STEP = {"flux-1-schnell-fp8": usd("0.00035")}
DEFAULT_STEPS = {"flux-1-schnell-fp8": 4}

PRICES: PriceTable = {
    # The price of one image at the model's default steps.
    model: {(ANY, ANY): Price(PER_STEP[model] * DEFAULT_STEPS[model], _PAGE)}
    for model in PER_STEP
}


def price(request: ImageRequest) -> int | None:
    model = request.model.removeprefix(ACCOUNT_PREFIX)
    steps = request.params.get("num_inference_steps")
    if model in PER_STEP and isinstance(steps, int) and not isinstance(steps, bool):
        return PER_STEP[model] * steps
    return lookup(PRICES, request, model=model)
