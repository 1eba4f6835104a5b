"""Every error Flask or Werkzeug raises becomes our JSON body: never HTML, never a trace."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from .errors import GatewayError, http_error
from .headers import REQUEST_ID

log = logging.getLogger("gateway.errors")


def render(exc: GatewayError) -> Response:
    response = Response(exc.to_json(), status=exc.status, mimetype="application/json")
    response.headers.update(exc.response_headers())
    return response


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _assign_request_id() -> None:
    """Reuse a well-formed ``x-request-id`` from nginx so both logs share it."""
    given = request.headers.get(REQUEST_ID, "")
    g.request_id = given if _REQUEST_ID.match(given) else f"req_{uuid.uuid4().hex}"


def _stamp_request_id(response: Response) -> Response:
    response.headers.setdefault(REQUEST_ID, g.get("request_id") or f"req_{uuid.uuid4().hex}")
    return response


def register(app: Flask) -> None:
    """Request ids on every answer, and our JSON body for every error."""
    app.before_request(_assign_request_id)
    app.after_request(_stamp_request_id)

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
