"""Deepbricks (OpenAI's image models, resold): wiring only."""

from __future__ import annotations

from ..base import Provider
from .api import VIRTUAL_KEY_FIELDS
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

# [uncertain] Deepbricks proxies OpenAI, whose DALL-E URLs live on this blob host;
# links on Deepbricks' own API host are fetched as same-origin anyway.
IMAGE_HOSTS = ("oaidalleapiprodscus.blob.core.windows.net",)

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    image_hosts=IMAGE_HOSTS,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
)
