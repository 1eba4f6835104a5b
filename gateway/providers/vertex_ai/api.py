"""Where and how to call Imagen on Vertex AI: regional host, predict path. Pure: no IO.

``https://{region}-aiplatform.googleapis.com`` (``https://aiplatform.googleapis.com``
for the ``global`` location) + ``/v1/projects/{project}/locations/{region}/publishers/
google/models/{model}:predict``. A custom host replaces only the scheme and host part
and keeps that path, as Portkey does.
"""

from __future__ import annotations

import re

from ...errors import InvalidRequest
from ...models import Target
from .. import options
from ..base import KeyField

NAME = "vertex-ai"
# The secret is an OAuth access token or a service-account JSON key.
VIRTUAL_KEY_FIELDS = (
    KeyField("vertex_project_id"),
    KeyField("vertex_region", options.FIELD_DNS_LABEL),
)
# Set by the signer for a service account: never taken from forwarded headers.
SIGNER_OWNED = ("authorization",)
# Google model ids: "imagen-4.0-generate-001", "imagegeneration@006".
MODEL = re.compile(r"^[a-z0-9][a-z0-9.@_-]{0,127}\Z")


def base(target: Target, region: str) -> str:
    if target.base_url:
        return target.base_url.rstrip("/")
    if region == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{region}-aiplatform.googleapis.com"


def region(target: Target) -> str:
    return options.label(target.options, "vertex_region", NAME)


def url(target: Target, project: str, model: str) -> str:
    if not MODEL.match(model):
        raise InvalidRequest(f"'model' is not a {NAME} model id.", param="model")
    project = options.checked(project, "vertex_project_id", options.PATH_SEGMENT)
    where = region(target)
    return (
        f"{base(target, where)}/v1/projects/{project}/locations/{where}"
        f"/publishers/google/models/{model}:predict"
    )


def headers(target: Target, token: str | None) -> dict[str, str]:
    """``token`` None: a service account, whose token ``gateway/outbound/signing.py`` adds."""
    result = {"Content-Type": "application/json", "Accept": "application/json"}
    if token is not None:
        result["Authorization"] = f"Bearer {token}"
    return result
