"""OpenAI (dall-e-2, dall-e-3, gpt-image-*): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .api import VIRTUAL_KEY_FIELDS
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES, VARIATION_CAPABILITIES
from .edits import build_edit_call, build_variation_call
from .images import NAME, build_call, parse_reply
from .pricing import edit_price, price, variation_price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
    virtual_key_fields=VIRTUAL_KEY_FIELDS,
    # Answers have a generation's shape: the same parsing serves all three routes.
    edits=Operation(EDIT_CAPABILITIES, build_edit_call, parse_reply, edit_price),
    variations=Operation(
        VARIATION_CAPABILITIES, build_variation_call, parse_reply, variation_price
    ),
)
