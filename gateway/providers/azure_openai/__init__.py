"""Azure OpenAI (dall-e-3, gpt-image-*) on a resource's deployment: wiring only."""

from __future__ import annotations

from ..base import Provider
from .api import VIRTUAL_KEY_FIELDS, credentials
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

# Where Azure's DALL-E answers put their images (24-hour SAS links on Azure blob
# storage, one account per region); gpt-image models answer in base64 only.
IMAGE_HOSTS = (
    "dalleprodsec.blob.core.windows.net",
    "dalleproduse.blob.core.windows.net",
    "dalleprodaue.blob.core.windows.net",
)

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    credentials=credentials,
    image_hosts=IMAGE_HOSTS,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
)
