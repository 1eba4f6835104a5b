"""Log lines go to stdout through the secret scrubber; nothing else configures logging."""

from __future__ import annotations

import logging
import sys

from ..redact import ScrubFilter

_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    # A full disk must not make logging print records (and their secrets) to stderr.
    logging.raiseExceptions = False
    logger = logging.getLogger("gateway")
    logger.setLevel(level)
    if not any(isinstance(f, ScrubFilter) for h in logger.handlers for f in h.filters):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(ScrubFilter())
        logger.addHandler(handler)
        logger.propagate = False
