"""Cloudflare Workers AI (FLUX.1 schnell, SDXL, Leonardo, DreamShaper, SD 1.5 edits): wiring."""

from __future__ import annotations

from ..base import Operation, Provider
from .api import VIRTUAL_KEY_FIELDS
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES
from .edits import build_edit_call
from .images import NAME, build_call, parse_reply
from .pricing import edit_price, price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
    # The answer is the PNG itself, as SDXL's: the generation parser reads it. No
    # variations: no Workers AI model makes one without a prompt.
    edits=Operation(EDIT_CAPABILITIES, build_edit_call, parse_reply, edit_price),
)
