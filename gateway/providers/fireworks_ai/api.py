"""Where and how to call Fireworks AI: base URL and the two image paths. Pure: no IO.

A custom host replaces ``https://api.fireworks.ai/inference/v1`` as in Portkey. SDXL-family
models answer at ``/image_generation/{model path}``, FLUX models at
``/workflows/{model path}/text_to_image`` (docs.fireworks.ai/api-reference/
generate-a-new-image-from-a-text-prompt); ``{model path}`` is
``accounts/<account>/models/<name>``, each part checked as one path segment.
"""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.fireworks.ai/inference/v1"


def _base(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/")


def image_generation_url(target: Target, model_path: str) -> str:
    return f"{_base(target)}/image_generation/{model_path}"


def workflow_url(target: Target, model_path: str) -> str:
    return f"{_base(target)}/workflows/{model_path}/text_to_image"
