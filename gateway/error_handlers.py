"""Every error Flask or Werkzeug raises becomes our JSON body: never HTML, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from .errors import GatewayError, http_error

log = logging.getLogger("gateway.errors")


def render(exc: GatewayError) -> Response:
    response = Response(exc.to_json(), status=exc.status, mimetype="application/json")
    response.headers.update(exc.response_headers())
    return response


def register(app: Flask) -> None:
    @app.errorhandler(GatewayError)
    def _gateway(exc: GatewayError) -> Response:
        return render(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            404: "Unknown route; image generation is POST /v1/images/generations.",
            405: "Method not allowed on this route.",
            413: "The request body is too large.",
        }
        response = render(http_error(status, messages.get(status, exc.description or "")))
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unexpected error")
        return render(GatewayError("The gateway failed unexpectedly."))
