"""Azure OpenAI image edits: OpenAI's edit form on a deployment. Pure: no IO.

Azure's edit API is OpenAI's ``POST /images/edits`` (the same ``multipart/form-data``
fields, files and answer) at
``{endpoint}/openai/deployments/{deployment}/images/edits?api-version=...``, or
``{endpoint}/openai/v1/images/edits`` in the v1 form
(Microsoft's how-to, learn.microsoft.com/azure/ai-services/openai/how-to/dall-e, of
which only the generation section could be read on 2026-12-06; the edit path rests on
openai-python's Azure client, which sends ``/images/edits`` to the deployment path
since PR #2371, and on third-party guides for gpt-image-1 edits on Azure, all using
2025-04-01-preview). A target without its own ``api_version`` gets that version
instead of the GA one the generations default to: no GA version is known to carry
edits. So the form is the OpenAI provider's, byte for byte; only the
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
