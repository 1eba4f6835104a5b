"""Where and how to call Cloudflare Workers AI: base URL, model path, auth. Pure: no IO.

Portkey's base URL for this provider already holds the account
(``.../accounts/{id}/ai/run``) and the model is appended, so a custom host replaces
the whole base: ``{custom_host}/{model}``. That is also the shape of Cloudflare's
AI Gateway (``https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/workers-ai``),
so the account id is only needed for Cloudflare's own endpoint.
"""

from __future__ import annotations

import re

from ...errors import InvalidRequest
from ...models import Target
from .. import options
from ..base import KeyField

NAME = "workers-ai"
VIRTUAL_KEY_FIELDS = (KeyField("workers_ai_account_id"),)
BASE_URL = "https://api.cloudflare.com/client/v4/accounts/{account}/ai/run"
# "@cf/black-forest-labs/flux-1-schnell": the model becomes path segments, so it is
# held to the catalogue's form (no "..", no query, no encoded characters).
MODEL = re.compile(r"^@[a-z0-9-]{1,32}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){1,3}\Z")


def base(target: Target) -> str:
    if target.base_url:
        return target.base_url.rstrip("/")
    account = options.segment(target.options, "workers_ai_account_id", NAME)
    return BASE_URL.format(account=account)


def url(target: Target, model: str) -> str:
    if not MODEL.match(model):
        raise InvalidRequest(
            f"'model' for {NAME} must be a catalogue id like "
            "'@cf/black-forest-labs/flux-1-schnell'.",
            param="model",
        )
    return f"{base(target)}/{model}"


def headers(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.api_key}", "Content-Type": "application/json"}
