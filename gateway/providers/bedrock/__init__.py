"""Amazon Bedrock (Stability models, Titan Image Generator, Nova Canvas): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .api import VIRTUAL_KEY_FIELDS, credentials
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES, VARIATION_CAPABILITIES
from .edits import build_call as build_edit
from .edits import build_variation
from .images import NAME, build_call, parse_reply
from .pricing import edit_price, price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    credentials=credentials,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
    # Titan's and Nova Canvas's editing tasks; the answers are the generations' shape.
    edits=Operation(EDIT_CAPABILITIES, build_edit, parse_reply, edit_price),
    variations=Operation(VARIATION_CAPABILITIES, build_variation, parse_reply, edit_price),
)
