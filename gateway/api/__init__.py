"""HTTP layer: blueprints only; every decision is made in ``pipeline``."""

from __future__ import annotations

from flask import Flask

from . import files, health, images, metrics


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(images.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(metrics.bp)
