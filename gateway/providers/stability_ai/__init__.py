"""Stability AI (v1 SDXL/SD 1.6 engines, v2beta Core/Ultra/SD3.5, v2beta Edit): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES
from .edits import build_call as build_edit
from .images import build_call, parse_reply
from .params import NAME
from .pricing import edit_price, price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
    # The v2beta Edit services and sd3 image-to-image; answers read as generations'.
    # No variations: Stability has no service that makes one.
    edits=Operation(EDIT_CAPABILITIES, build_edit, parse_reply, edit_price),
)
