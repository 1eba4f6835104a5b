"""Lemonfox.ai (Stable Diffusion XL behind an OpenAI-shaped API): wiring only."""

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
    price=price,
)
