"""Uploads of the image edit and variation routes: reading and checking them.

``read_edit`` / ``read_variation`` take the request's body stream, its Content-Type
and Content-Length, the gateway's ``UploadLimits`` and a spool directory, and yield an
``EditRequest`` / ``VariationRequest`` whose images are checked ``Upload`` objects;
every temporary file is gone when the ``with`` block ends. Refusals are GatewayErrors
(400, 413, 415) in OpenAI's shape with the field in ``param``. No Flask here: the
routes pass ``request.stream`` in, the pipeline gets the value objects out.
"""

from __future__ import annotations

from .models import EditRequest, Upload, UploadLimits, VariationRequest
from .reader import read_edit, read_variation

__all__ = [
    "EditRequest",
    "Upload",
    "UploadLimits",
    "VariationRequest",
    "read_edit",
    "read_variation",
]
