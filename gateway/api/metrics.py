"""``GET /metrics``: Prometheus text format, for a scraper.

Open by default, like ``/healthz``: operators keep it off the public side in nginx.
With ``GATEWAY_METRICS_TOKEN`` set it also asks for ``Authorization: Bearer <token>``,
compared in constant time. Label values never hold caller text (``gateway.observability.samples``).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request

from ..errors import AuthenticationError, GatewayError
from ..observability import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    instruments = metrics.current()
    if instruments is None:
        raise GatewayError(
            "Metrics are turned off (GATEWAY_METRICS=false).",
            status=404,
            type="invalid_request_error",
            code="metrics_disabled",
        )
    token = current_app.extensions["gateway"].settings.metrics_token
    if token is not None:
        _check_token(token)
    body, content_type = instruments.render(request.headers.get("Accept", ""))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_token(expected: str) -> None:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), expected.encode()
    )
    if not ok:
        raise AuthenticationError(
            "GET /metrics needs 'Authorization: Bearer <GATEWAY_METRICS_TOKEN>'.",
            param="authorization",
            code="invalid_metrics_token",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
