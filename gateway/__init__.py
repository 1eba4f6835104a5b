"""Self-hosted, Portkey-compatible gateway for AI image generation.

``create_app`` is the only wiring point: settings, store, transport and request
log are built here and kept in ``app.extensions["gateway"]``; nothing opens a
socket or a database connection at import time.
"""

from __future__ import annotations

import functools
import logging
import os
import time

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import error_handlers, providers
from .admission import Admission
from .api import AppState, register_blueprints
from .cache import open_cache
from .credentials import Credentials, VirtualKey, open_credentials
from .errors import GatewayError
from .headers import CONFIG
from .observability import access_log, metrics
from .observability.logging_setup import configure_logging
from .outbound.delivery import Delivery
from .outbound.image_store import open_image_store
from .outbound.signing import Signer
from .outbound.transport import Transport
from .pipeline import Deps
from .request_log import RequestLog
from .settings import Settings, SettingsError
from .store import secrets as shared_secrets
from .store.database import Database
from .store.usage import open_usage
from .uploads import UploadLimits
from .uploads.spool import sweep_stale

log = logging.getLogger("gateway.uploads")

__all__ = ["AppState", "create_app"]


def _virtual_key(credentials: Credentials, name: str, team: str | None, param: str) -> VirtualKey:
    return credentials.resolve_virtual_key(name, team, param=param)


def check_settings(settings: Settings) -> None:
    """The checks ``Settings`` cannot make itself: ``settings.py`` stays stdlib-only, and
    the provider names live in the registry. Called by gunicorn.conf.py and the CLI too,
    so a bad value stops them with one line that names the variable."""
    try:
        if settings.default_provider is not None:  # None: GATEWAY_DEFAULT_PROVIDER=none
            providers.get(settings.default_provider)
    except GatewayError:
        raise SettingsError(
            "GATEWAY_DEFAULT_PROVIDER: not a known provider (name one, or set it to none)"
        ) from None


def upload_limits(settings: Settings) -> UploadLimits:
    """The GATEWAY_UPLOAD_* settings as the bounds every upload is read under."""
    return UploadLimits(
        max_body_bytes=settings.upload_max_bytes,
        max_file_bytes=settings.upload_max_file_bytes,
        memory_threshold=settings.upload_memory_bytes,
        max_pixels=settings.upload_max_pixels,
    )


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    check_settings(settings)
    configure_logging(settings.log_level)
    database = Database.from_settings(settings)
    database.migrate()
    app = Flask(__name__)
    # Werkzeug would answer //v1/... with an HTML 308 redirect that bypasses our handlers.
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    # Pepper, URL-signing and cache keys: the environment's, the database's, or files.
    shared = shared_secrets.load(settings, database)
    credentials = open_credentials(settings, database)
    transport = Transport(settings.max_upstream_bytes)
    store = open_image_store(settings, database, shared.url_signing_key)
    delivery = Delivery(settings, transport, store)
    deps = Deps(
        settings=settings,
        transport=transport,
        signer=Signer(transport, settings.allowed_custom_hosts),
        delivery=delivery,
        cache=open_cache(settings, database, delivery.image_bytes, shared),
        base_urls={"openai": settings.openai_base_url},
        saved_configs=functools.partial(credentials.get_config, param=CONFIG),
        authenticate=credentials.authenticate,
        api_keys_exist=credentials.api_keys_exist,
        virtual_key=functools.partial(_virtual_key, credentials),
        usage=open_usage(settings.redis_url, database),
    )
    admission = Admission(settings.max_in_flight)
    os.makedirs(settings.upload_path, mode=0o700, exist_ok=True)
    swept = sweep_stale(settings.upload_path, time.time())
    if swept:
        log.warning("removed %d stale upload spool file(s) from %s", swept, settings.upload_path)
    app.extensions["gateway"] = AppState(
        settings, deps, RequestLog(database), admission, database, upload_limits(settings)
    )
    access_log.init_app(app, settings.access_log, trust_request_id=settings.trusted_proxies > 0)
    metrics.init_app(app, settings, admission)
    error_handlers.register(app)
    register_blueprints(app)
    return app
