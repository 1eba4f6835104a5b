"""Google Vertex AI Imagen (imagen-4.0-*, imagen-3.0-*): wiring only."""

from __future__ import annotations

from ..base import Provider, ServiceAccount
from .api import VIRTUAL_KEY_FIELDS
from .auth import OPTION, credentials, service_account_text
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    credentials=credentials,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
    service_account=ServiceAccount(OPTION, service_account_text),
)
