"""Google Vertex AI Imagen (imagen-4.0-*, imagen-3.0-*): wiring only."""

from __future__ import annotations

from ..base import Provider
from .auth import credentials
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    credentials=credentials,
    price=price,
)
