"""Azure OpenAI image edits: OpenAI's edit form on a deployment. Pure: no IO.

Azure's edit API is OpenAI's ``POST /images/edits`` (the same ``multipart/form-data``
fields, files and answer) at
``{endpoint}/openai/deployments/{deployment}/images/edits?api-version=...``, or
``{endpoint}/openai/v1/images/edits`` in the v1 form
(https://learn.microsoft.com/azure/ai-foundry/openai/how-to/dall-e, "Call the image
edit API", read 2026-12-06; openai-python's Azure client sends ``/images/edits`` to the
deployment path since PR #2371). A target without its own ``api_version`` gets
2025-04-01-preview, the first version with edits, instead of the GA one the
generations default to. So the form is the OpenAI provider's, byte for byte; only the
URL and the auth header (``api-key``, or an Entra token) differ, and the answer is
read as a generation's (content-filter flags included). Azure has no dall-e-2, hence
no variations.
"""

from __future__ import annotations

from ...models import ImageRequest, ProviderCall, Target
from ..openai.edits import form_call
from . import api


def build_edit_call(request: ImageRequest, target: Target) -> ProviderCall:
    url = api.url(target, api.EDITS_PATH, api.EDITS_API_VERSION)
    return form_call(target, url, api.headers(target), request)
