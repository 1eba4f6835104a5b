"""Liveness and readiness: no auth, never an upstream call."""

from __future__ import annotations

import sqlite3

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from ..db import connect
from ..errors import GatewayError

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
    return jsonify(status="ready")
