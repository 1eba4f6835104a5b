"""``GET /v1/images/files/<name>``: images the gateway hosts, for signed links only.

No gateway key is asked for: like a provider's own image URL, the signed link is
the credential, and it expires. Every refusal is the same 404, so a link cannot be
probed for which part (name, signature, expiry) was wrong. Any instance serves any
link: with PostgreSQL the image comes from the shared ``blobs`` table, on the embedded
default from its file.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, current_app, request, send_file

from ..errors import GatewayError
from ..image_formats import CONTENT_TYPES

bp = Blueprint("files", __name__)


@bp.get("/v1/images/files/<name>")
def image_file(name: str) -> Response:
    store = current_app.extensions["gateway"].deps.delivery.store
    expires = request.args.get("expires", "")
    found = store.find(name, expires, request.args.get("signature", ""))
    if found is None:
        raise GatewayError(
            "This image link is not valid or has expired.",
            status=404,
            type="invalid_request_error",
            code="image_not_found",
        )
    remaining = max(0, int(expires) - int(store.clock()))
    response = send_file(
        io.BytesIO(found) if isinstance(found, bytes) else found,
        mimetype=CONTENT_TYPES[name.rsplit(".", 1)[1]],
        max_age=remaining,
        conditional=True,
        etag=False,
    )
    response.headers["Cache-Control"] = f"private, max-age={remaining}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
