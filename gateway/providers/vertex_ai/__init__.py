"""Google Vertex AI Imagen (imagen-4.0-*, imagen-3.0-*): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider, ServiceAccount
from .api import VIRTUAL_KEY_FIELDS
from .auth import OPTION, credentials, service_account_text
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES
from .edits import build_call as build_edit
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
    # imagen-3.0-capability-001's editing; the answers are the generations' shape. No
    # price: the published table lists generation only. No variations: no equivalent.
    edits=Operation(EDIT_CAPABILITIES, build_edit, parse_reply),
)
