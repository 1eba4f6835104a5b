"""HTTP layer: blueprints only; every decision is made in ``pipeline``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask

from ..uploads import UploadLimits
from . import files, health, images, metrics, openapi

if TYPE_CHECKING:
    from ..admission import Admission
    from ..pipeline import Deps
    from ..request_log import RequestLog
    from ..settings import Settings
    from ..store.database import Database


@dataclass(frozen=True)
class AppState:
    """What the app factory keeps in ``app.extensions["gateway"]`` for the blueprints."""

    settings: Settings
    deps: Deps
    request_log: RequestLog
    # Image calls in flight and the capacity; shared by gunicorn's workers (admission.py).
    admission: Admission
    # The store (SQLite by default, PostgreSQL with GATEWAY_DATABASE_URL).
    database: Database
    # The bounds edits and variations are read under (GATEWAY_UPLOAD_* settings).
    upload_limits: UploadLimits = field(default_factory=UploadLimits)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(images.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
