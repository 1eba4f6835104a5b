"""Where and how to call SiliconFlow's image generation endpoint.

Portkey posts to the retired ``/v1/{model}/text-to-image`` path; SiliconFlow's API
reference (https://docs.siliconflow.cn/api-reference/images/images-generations) now
documents one endpoint for every model, with the model in the body.
"""

from __future__ import annotations

from ...models import Target

BASE_URL = "https://api.siliconflow.cn/v1"
PATH = "/images/generations"


def url(target: Target) -> str:
    return (target.base_url or BASE_URL).rstrip("/") + PATH
