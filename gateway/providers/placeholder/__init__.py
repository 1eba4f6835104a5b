"""placeholder: draws PNGs locally; no key, no network, no cost."""

from __future__ import annotations

from ..base import Operation, Provider
from .capabilities import CAPABILITIES, UPLOAD_CAPABILITIES
from .images import NAME, build_call, generate, parse_reply
from .pricing import price


def _no_credentials(api_key: str | None, options: object) -> None:
    return None


PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    credentials=_no_credentials,
    local=generate,
    price=price,
    # Answered by ``generate`` too (``local``): these name the table and the price.
    edits=Operation(UPLOAD_CAPABILITIES, build_call, parse_reply, price),
    variations=Operation(UPLOAD_CAPABILITIES, build_call, parse_reply, price),
)
