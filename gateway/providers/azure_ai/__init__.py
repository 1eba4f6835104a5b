"""Azure AI Foundry / Inference (``azure-ai``): wiring only; limits are Azure OpenAI's."""

from __future__ import annotations

from ..azure_openai import IMAGE_HOSTS
from ..azure_openai.api import credentials
from ..azure_openai.capabilities import CAPABILITIES
from ..base import Provider
from .api import VIRTUAL_KEY_FIELDS
from .images import NAME, build_call, parse_reply
from .pricing import price

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
