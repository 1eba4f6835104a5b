"""Self-hosted, Portkey-compatible gateway for AI image generation.

``create_app`` is the only wiring point: settings, store, transport and request
log are built here and kept in ``app.extensions["gateway"]``; nothing opens a
socket or a database connection at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access_log, db, error_handlers
from .api import register_blueprints
from .logging_setup import configure_logging
from .pipeline import Deps
from .request_log import RequestLog
from .settings import Settings
from .transport import Transport

__all__ = ["AppState", "create_app"]


@dataclass(frozen=True)
class AppState:
    settings: Settings
    deps: Deps
    request_log: RequestLog


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    db.prepare(settings.data_dir, settings.db_path)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    deps = Deps(
        settings=settings,
        transport=Transport(settings.max_upstream_bytes),
        base_urls={"openai": settings.openai_base_url},
    )
    app.extensions["gateway"] = AppState(settings, deps, RequestLog(settings.db_path))
    access_log.init_app(app, settings.access_log)
    error_handlers.register(app)
    register_blueprints(app)
    return app
