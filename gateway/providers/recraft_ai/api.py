"""Where and how to call Recraft's image endpoints."""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://external.api.recraft.ai/v1"
PATH = "/images/generations"
# Edits and variations (gateway/providers/recraft_ai/edits.py says which serves what).
INPAINT = "/images/inpaint"
IMAGE_TO_IMAGE = "/images/imageToImage"
VARIATE = "/images/variateImage"


def url(target: Target, path: str = PATH) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + path
