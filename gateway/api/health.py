"""Liveness and readiness: no auth, never an upstream call.

``/readyz`` is what a load balancer asks before it sends a call: the store must answer
(``SELECT 1``, SQLite or PostgreSQL) and the instance must have room
(``gateway.admission``), else 503. The store's reason names no host and no password;
the error log has the detail.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from ..errors import Overloaded, StoreUnavailable
from ..store.health import ping

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    state = current_app.extensions["gateway"]
    problem = ping(state.database)
    if problem is not None:
        raise StoreUnavailable(f"The store does not answer ({problem}).")
    admission = state.admission
    in_flight = admission.in_flight()
    if in_flight >= admission.capacity:
        raise Overloaded(admission.capacity)
    return jsonify(status="ready", in_flight=in_flight, capacity=admission.capacity)
