"""Recraft (Recraft V2, V3, V4, V4.1; raster and vector): wiring only."""

from __future__ import annotations

from ..base import Provider
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    # Generated images are served from Recraft's image CDN (URLs last about a day).
    image_hosts=("img.recraft.ai",),
    price=price,
)
