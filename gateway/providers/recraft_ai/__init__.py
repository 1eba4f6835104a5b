"""Recraft (Recraft V2, V3, V4, V4.1; raster and vector): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES, VARIATION_CAPABILITIES
from .edits import build_edit_call, build_variation_call
from .images import NAME, build_call, parse_reply
from .pricing import price, variation_price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    # Generated images are served from Recraft's image CDN (URLs last about a day).
    image_hosts=("img.recraft.ai",),
    price=price,
    # The tools answer like generations: one parser; edits cost a generated image.
    edits=Operation(EDIT_CAPABILITIES, build_edit_call, parse_reply, price),
    variations=Operation(
        VARIATION_CAPABILITIES, build_variation_call, parse_reply, variation_price
    ),
)
