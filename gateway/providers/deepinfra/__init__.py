"""DeepInfra (FLUX, Stable Diffusion 3.5, SDXL Turbo, ...; Qwen and Kontext edits): wiring only."""

from __future__ import annotations

from ..base import Operation, Provider
from .capabilities import CAPABILITIES, EDIT_CAPABILITIES
from .edits import build_edit_call
from .images import NAME, build_call, parse_reply
from .pricing import price

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    price=price,
    # Edits answer like generations (base64 only): one parser. No prices are published
    # for them per image, and there is no variation endpoint.
    edits=Operation(EDIT_CAPABILITIES, build_edit_call, parse_reply),
)
