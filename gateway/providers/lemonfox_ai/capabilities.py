"""Lemonfox.ai's one image model and its limits.

The API has no ``model`` field: whatever model a caller names, the same Stable
Diffusion XL model answers, so its limits apply to every name. ``n`` is 1 to 8 as in
Portkey's table (https://www.lemonfox.ai/apis/image-generation); sizes are not
restricted here because no published list could be confirmed, so Lemonfox judges them.
Up to 10 images may be asked for (OpenAI's limit): more than 8 become two calls, made in
parallel (``gateway.outbound.fanout``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..capabilities import Capabilities, ModelSpec

MODEL = "stable-diffusion-xl"


@dataclass(frozen=True)
class OneModel(Capabilities):
    """Capabilities of a provider with a single model: every name means that model."""

    def spec(self, model: str) -> ModelSpec | None:
        return self.models[self.default_model]


CAPABILITIES = OneModel(
    default_model=MODEL,
    models={
        MODEL: ModelSpec(prompt_max=32000, n_max=10, n_per_call=8, extras={"negative_prompt": None})
    },
)
