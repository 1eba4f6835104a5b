"""Cloudflare Workers AI (FLUX.1 schnell, SDXL, Leonardo, DreamShaper): wiring only."""

from __future__ import annotations

from ..base import Provider
from .api import VIRTUAL_KEY_FIELDS
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
)
