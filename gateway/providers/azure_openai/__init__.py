"""Azure OpenAI (dall-e-3, gpt-image-*) on a resource's deployment: wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .api import VIRTUAL_KEY_FIELDS, credentials
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES
from .edits import build_edit_call
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
    # Edits answer as generations do (content-filter flags included); no variations:
    # Azure serves no dall-e-2.
    edits=Operation(EDIT_CAPABILITIES, build_edit_call, parse_reply, price),
)
