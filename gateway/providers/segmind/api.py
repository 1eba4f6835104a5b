"""Where and how to call Segmind: ``POST {base}/{model}`` with ``x-api-key``. Pure: no IO.

A custom host replaces ``https://api.segmind.com/v1`` as in Portkey; the model name is
the last path segment, so it is checked as exactly one segment.
"""

from __future__ import annotations

from ...errors import InvalidRequest
from ...models import Target
from ..options import PATH_SEGMENT

BASE_URL = "https://api.segmind.com/v1"


def url(target: Target, model: str) -> str:
    if not PATH_SEGMENT.match(model):
        raise InvalidRequest(
            "'model' must be a Segmind model name like sdxl1.0-txt2img.", param="model"
        )
    return f"{(target.base_url or BASE_URL).rstrip('/')}/{model}"


def headers(target: Target) -> dict[str, str]:
    return {"x-api-key": target.api_key, "Content-Type": "application/json"}
