"""Liveness and readiness: no auth, never an upstream call.

``/readyz`` is what a load balancer asks before it sends a call: the store must answer
and the instance must have room (``gateway.admission``), else 503.
"""

from __future__ import annotations

import sqlite3

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from ..db import connect
from ..errors import GatewayError, Overloaded

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    state = current_app.extensions["gateway"]
    try:
        conn = connect(f"file:{state.settings.db_path}?mode=rw")
        try:
            conn.execute("SELECT 1 FROM request_log LIMIT 1").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        raise GatewayError(
            "The store does not answer.",
            status=503,
            code="store_unavailable",
            headers={"Retry-After": "5"},
        ) from None
    admission = state.admission
    in_flight = admission.in_flight()
    if in_flight >= admission.capacity:
        raise Overloaded(admission.capacity)
    return jsonify(status="ready", in_flight=in_flight, capacity=admission.capacity)
