"""Azure OpenAI image generation: request and answer handling. Pure: no IO.

Azure's images API is OpenAI's, so the body is forwarded exactly as the OpenAI
provider forwards it (bytes untouched when nothing changes, the defaulted model
added, ``response_format`` removed for gpt-image models) and the answer is passed
through. Only the URL (resource, deployment, api-version) and auth differ, and an
item Azure's content filter flags (``filtered.py``) makes the answer a 400.
"""

from __future__ import annotations

from ...models import ImageRequest, ImageResult, ProviderCall, ProviderReply, Target
from .. import calls
from ..answers import openai_compatible
from ..openai.images import body, native_formats
from . import api, filtered

NAME = api.NAME


def build_call(request: ImageRequest, target: Target) -> ProviderCall:
    return calls.post(target, api.url(target), api.headers(target), body(request))


def parse_reply(reply: ProviderReply, request: ImageRequest) -> ImageResult:
    # Azure serves OpenAI's models, which answer in the same formats there.
    filtered.check(NAME, reply)
    return openai_compatible(NAME, reply, request, native_formats(request))
