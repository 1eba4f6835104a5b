"""Every error Flask or Werkzeug raises becomes our JSON body: never HTML, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .errors import GatewayError, StoreUnavailable, http_error
from .store.database import UNAVAILABLE

log = logging.getLogger("gateway.errors")


def store_unavailable(exc: Exception) -> StoreUnavailable:
    """The 503 for a store that did not answer (``store.database.UNAVAILABLE``), logged in
    one line without a trace or the driver's text (which can name the server)."""
    log.error("store unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
    return StoreUnavailable()


def render(exc: GatewayError) -> Response:
    response = Response(exc.to_json(), status=exc.status, mimetype="application/json")
    response.headers.update(exc.response_headers())
    return response


# A refused oversized body is read and thrown away up to this size, so the 413 reaches
# the client (which is still sending) and the connection stays usable: gunicorn only
# drains 64 KiB itself and then closes a connection it has just answered keep-alive.
DRAIN_LIMIT = 32 << 20


def drain_refused_body() -> None:
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    if stream is None or length is None or length > DRAIN_LIMIT:
        return
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 16))
        if not chunk:
            return
        remaining -= len(chunk)


def http_response(exc: HTTPException) -> Response:
    status = exc.code or 500
    messages = {
        404: "Unknown route; image generation is POST /v1/images/generations.",
        405: "Method not allowed on this route.",
        413: "The request body is too large.",
    }
    if status == 413:
        drain_refused_body()
    response = render(http_error(status, messages.get(status, exc.description or "")))
    allow = exc.get_response().headers.get("Allow") if status == 405 else None
    if allow:
        response.headers["Allow"] = allow
    return response


def register(app: Flask) -> None:
    """Our JSON body for every error."""

    @app.errorhandler(GatewayError)
    def _gateway(exc: GatewayError) -> Response:
        return render(exc)

    app.errorhandler(HTTPException)(http_response)

    for kind in UNAVAILABLE:

        @app.errorhandler(kind)
        def _store_down(exc: Exception) -> Response:
            return render(store_unavailable(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return render(GatewayError("The gateway failed unexpectedly."))
