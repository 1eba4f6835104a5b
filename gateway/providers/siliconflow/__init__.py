"""SiliconFlow (Kolors, Qwen-Image): wiring only."""

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
    # SiliconFlow answers with links to its object storage (valid for an hour).
    image_hosts=(
        "sc-maas.oss-cn-shanghai.aliyuncs.com",
        "sc-maas.oss-cn-beijing.aliyuncs.com",
        "cdn.siliconflow.com",
    ),
    price=price,
)
