"""Together AI (FLUX models): wiring only. Portkey has no Together image support."""

from __future__ import annotations

from ..base import Provider
from .capabilities import CAPABILITIES
from .images import NAME, build_call, parse_reply
from .pricing import price

# Together hands out links on its own API host (an /imgproxy/ in front of a signed
# S3 object); the S3 bucket is listed for answers that link to it directly.
IMAGE_HOSTS = (
    "api.together.ai",
    "api.together.xyz",
    "together-ai-bfl-images-prod.s3.us-west-2.amazonaws.com",
)

PROVIDER = Provider(
    name=NAME,
    capabilities=CAPABILITIES,
    build_call=build_call,
    parse_reply=parse_reply,
    image_hosts=IMAGE_HOSTS,
    price=price,
)
