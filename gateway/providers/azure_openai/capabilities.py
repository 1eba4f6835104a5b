"""Azure OpenAI's image models: OpenAI's limits, with dall-e-3 as the default (Portkey).

The specs are OpenAI's own (gateway/providers/openai/capabilities.py): Azure serves
the same models with the same sizes, n, qualities and styles. Azure's model table:
https://learn.microsoft.com/azure/ai-foundry/openai/how-to/dall-e (dall-e-3, n=1;
gpt-image-1, -mini and -1.5, base64 only, 1-10 images). dall-e-2 is retired on
Azure and dall-e-3 was retired in March 2026, but Portkey still defaults to it: in
the deployment form Azure ignores the body's model, so callers of a gpt-image
deployment should name their model to get its limits instead of dall-e-3's.
Newer models (gpt-image-2) are not listed and pass with generic checks, with OpenAI's
GPT-image defaults (base64 unless ``url`` is asked). The cross-field rules (compression
only with jpeg or webp, transparency only with png or webp, no partial images without
streaming) come with the specs.
"""

from __future__ import annotations

from ..capabilities import Capabilities
from ..openai.capabilities import CAPABILITIES as OPENAI
from ..openai.capabilities import EDIT_CAPABILITIES as OPENAI_EDITS

MODELS = ("dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5")

CAPABILITIES = Capabilities(
    default_model="dall-e-3",
    models={name: OPENAI.models[name] for name in MODELS},
    model_only=OPENAI.model_only,
    implied_by=OPENAI.implied_by,
    family_defaults=OPENAI.family_defaults,
)

# Edits: the GPT image models Azure serves, with OpenAI's edit limits. Azure documents
# image edits for gpt-image-1 (its default here: the model its edit guide names) and
# later models, not for dall-e-3; it serves no dall-e-2, so it has no variations.
EDIT_MODELS = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5")
EDIT_CAPABILITIES = Capabilities(
    default_model="gpt-image-1",
    models={name: OPENAI_EDITS.models[name] for name in EDIT_MODELS},
    model_only=OPENAI_EDITS.model_only,
    family_defaults=OPENAI_EDITS.family_defaults,
)
