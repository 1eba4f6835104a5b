"""Stability AI (v1 SDXL/SD 1.6 engines, v2beta Core/Ultra/SD3.5): wiring only."""

from __future__ import annotations

from ..base import Provider
from .capabilities import CAPABILITIES
from .images import build_call, parse_reply
from .params import NAME
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
)
