"""Every ``GATEWAY_*`` setting, read and validated once, at start-up.

This is the only module that reads the environment. It imports nothing from the
rest of the package but ``settings_values`` (the parsers) and ``money`` (both stdlib
only, pure) so that ``gunicorn.conf.py`` can use it in the master process before any
worker (or the app) exists, and a bad value stops start-up with a message that names
the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from . import settings_values as parse


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable and never its value."""


def _env(
    name: str,
    parser: Callable[[str], Any],
    default: Any,
    *,
    secret: bool = False,
    path: Callable[[str], str] | None = None,
) -> Any:
    """Declare a field read from ``name``; the parser and default travel in its metadata.

    ``secret`` keeps the value out of ``repr(settings)``, which may end up in a log line.
    ``path`` makes a value that is or holds a filesystem path absolute when the settings
    are built (``os.path.abspath`` for a directory).
    """
    metadata = {"env": name, "parse": parser, "path": path}
    return field(default=default, repr=not secret, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Typed settings; tests build one directly, production uses :meth:`from_env`."""

    # Where the SQLite store (request log) lives.
    data_dir: str = _env("GATEWAY_DATA_DIR", str, "data", path=os.path.abspath)
    # The store: unset, SQLite in data_dir; postgresql://user:pass@host/db for several
    # instances. Secret: the URL may hold a password.
    database_url: str | None = _env(
        "GATEWAY_DATABASE_URL", parse.url(("postgresql", "postgres", "sqlite")), None, secret=True
    )
    # Pooled database connections per worker process (and twice as many in a burst).
    db_pool_size: int = _env("GATEWAY_DB_POOL_SIZE", parse.whole(1, 200), 5)
    # Optional Redis (redis://host:6379/0): exact rate limits and budgets across instances.
    redis_url: str | None = _env(
        "GATEWAY_REDIS_URL", parse.url(("redis", "rediss", "unix")), None, secret=True
    )
    # Keep prompts in the request log (user data; an operator may turn it off).
    log_prompts: bool = _env("GATEWAY_LOG_PROMPTS", parse.flag, True)
    log_level: str = _env("GATEWAY_LOG_LEVEL", parse.log_level, "INFO")
    # Number of reverse proxies in front of the gateway whose X-Forwarded-* we trust.
    trusted_proxies: int = _env("GATEWAY_TRUSTED_PROXIES", parse.whole(0, 5), 0)
    # The provider used when a request names none (OpenAI SDK clients send no x-portkey-*);
    # "none" (None): such a request is a 400 that asks for x-portkey-provider or a config.
    default_provider: str | None = _env("GATEWAY_DEFAULT_PROVIDER", parse.provider, "openai")
    # Admin allowlist for x-portkey-custom-host: exact scheme://host[:port] entries.
    allowed_custom_hosts: tuple[str, ...] = _env("GATEWAY_ALLOWED_CUSTOM_HOSTS", parse.csv, ())
    openai_base_url: str = _env(
        "GATEWAY_OPENAI_BASE_URL", parse.base_url, "https://api.openai.com/v1"
    )
    # The gateway's own URL as clients reach it (https://images.example.com), for the
    # links to images it hosts; unset: from the request (X-Forwarded-* when trusted).
    public_url: str | None = _env("GATEWAY_PUBLIC_URL", parse.base_url, None)
    # How long a link to a gateway-hosted image stays valid (OpenAI's URLs: 60 minutes).
    image_url_ttl: int = _env("GATEWAY_IMAGE_URL_TTL", parse.whole(60, 7 * 86400), 3600)
    # Disk budget for those images; a full store answers 507 instead of filling the disk.
    image_store_max_mb: int = _env("GATEWAY_IMAGE_STORE_MAX_MB", parse.whole(1, 1 << 20), 2048)
    # Key for signing those links; unset: <data_dir>/url-signing.key (created 0600).
    url_signing_key: str | None = _env(
        "GATEWAY_URL_SIGNING_KEY", parse.secret_text, None, secret=True
    )
    # The HMAC pepper of gateway API key hashes and the cache key's HMAC key, as their
    # files hold them; unset: <data_dir>/pepper and cache.key on SQLite, the database's
    # (encrypted under GATEWAY_MASTER_KEY) with PostgreSQL (gateway/store/secrets.py).
    pepper: bytes | None = _env("GATEWAY_PEPPER", parse.key_bytes, None, secret=True)
    cache_key: bytes | None = _env("GATEWAY_CACHE_KEY", parse.key_bytes, None, secret=True)
    # Disk budget of the simple cache (config "cache"): least recently used entries go first.
    cache_max_mb: int = _env("GATEWAY_CACHE_MAX_MB", parse.whole(1, 1 << 20), 1024)
    connect_timeout: float = _env("GATEWAY_CONNECT_TIMEOUT", parse.number(0.1, 60), 5.0)
    # Per-attempt wall-clock limit on an upstream call; gpt-image-1 at high quality
    # can take minutes, so the default is generous.
    read_timeout: float = _env("GATEWAY_READ_TIMEOUT", parse.number(1, 900), 240.0)
    max_body_bytes: int = _env("GATEWAY_MAX_BODY_BYTES", parse.whole(1024, 64 << 20), 1 << 20)
    max_upstream_bytes: int = _env(
        "GATEWAY_MAX_UPSTREAM_BYTES", parse.whole(1 << 16, 1 << 30), 64 << 20
    )
    # Image edits and variations (multipart uploads): the whole body, one file, the size
    # past which a file is spooled to disk instead of memory, and the most pixels an
    # input image may declare (at most Pillow's own bomb threshold, 89,478,485).
    upload_max_bytes: int = _env(
        "GATEWAY_UPLOAD_MAX_BYTES", parse.whole(1 << 20, 4 << 30), 100 << 20
    )
    upload_max_file_bytes: int = _env(
        "GATEWAY_UPLOAD_MAX_FILE_BYTES", parse.whole(1 << 16, 4 << 30), 50 << 20
    )
    upload_memory_bytes: int = _env(
        "GATEWAY_UPLOAD_MEMORY_BYTES", parse.whole(0, 64 << 20), 512 << 10
    )
    upload_max_pixels: int = _env(
        "GATEWAY_UPLOAD_MAX_PIXELS", parse.whole(1, 89_478_485), 8192 * 8192
    )
    # Where uploads are spooled while their request runs; unset: <data_dir>/uploads.
    upload_dir: str | None = _env("GATEWAY_UPLOAD_DIR", str, None, path=os.path.abspath)
    # gunicorn (read by gunicorn.conf.py; here so that every variable is validated once).
    bind: str = _env("GATEWAY_BIND", parse.bind, "0.0.0.0:8787", path=parse.absolute_bind)
    # gthread: one OS thread per call in flight; gevent: one greenlet per connection
    # (needs the gevent extra). Measured against each other in bench/README.md
    # ("Capacity"): gthread kept the throughput of 1,000 slow calls closer to direct.
    worker_class: str = _env("GATEWAY_WORKER_CLASS", parse.worker_class, "gthread")
    workers: int = _env("GATEWAY_WORKERS", parse.whole(1, 64), 2)
    # gthread only. Unset: GATEWAY_MAX_IN_FLIGHT in each worker, because each call holds
    # a thread for its whole upstream time (5 to 60 s) and the kernel may hand most
    # connections to one worker; a pool only grows as calls come. Hence the cap far
    # above the old 256.
    threads: int | None = _env("GATEWAY_THREADS", parse.whole(1, 4096), None)
    # Image calls the whole instance (every gunicorn worker together) serves at once;
    # beyond it a call is refused at once with 503 gateway_overloaded (gateway/admission.py).
    max_in_flight: int = _env("GATEWAY_MAX_IN_FLIGHT", parse.whole(1, 100_000), 1000)
    worker_timeout: int = _env("GATEWAY_WORKER_TIMEOUT", parse.whole(5, 3600), 60)
    graceful_timeout: int = _env("GATEWAY_GRACEFUL_TIMEOUT", parse.whole(1, 3600), 330)
    keepalive: int = _env("GATEWAY_KEEPALIVE", parse.whole(0, 300), 5)
    max_requests: int = _env("GATEWAY_MAX_REQUESTS", parse.whole(0, 10_000_000), 20000)
    max_requests_jitter: int = _env("GATEWAY_MAX_REQUESTS_JITTER", parse.whole(0, 10_000_000), 2000)
    access_log: bool = _env("GATEWAY_ACCESS_LOG", parse.flag, True)
    # Require a gateway API key (x-portkey-api-key or Authorization: Bearer pkgw_...)
    # on every /v1 request: "true", "false", or "auto" = as soon as any key exists, so a
    # fresh single-user install works with provider keys alone and a shared one, where
    # an administrator has handed out team keys, refuses anonymous callers.
    require_api_key: str = _env("GATEWAY_REQUIRE_API_KEY", parse.auth_mode, "auto")
    # Key-encryption key(s) for provider secrets at rest, newest first. When unset the
    # gateway keeps them in <data_dir>/master.key (created 0600 at first start).
    master_keys: tuple[str, ...] = _env("GATEWAY_MASTER_KEY", parse.fernet_keys, (), secret=True)
    # Prometheus metrics at GET /metrics (gateway/observability/metrics.py).
    metrics: bool = _env("GATEWAY_METRICS", parse.flag, True)
    # gunicorn workers' metric files (multiprocess mode); unset: <data_dir>/metrics.
    # gunicorn.conf.py empties it at each start.
    metrics_dir: str | None = _env("GATEWAY_METRICS_DIR", str, None, path=os.path.abspath)
    # Price per image, in dollars, of a request whose provider publishes no price, for
    # keys with a spending budget: estimated and charged with it. Unset: such keys are
    # refused requests that cannot be priced (400 unpriced_request_with_budget).
    unpriced_image_micro_usd: int | None = _env("GATEWAY_UNPRICED_IMAGE_USD", parse.usd, None)
    # Bearer token that GET /metrics asks for; unset: served openly (restrict it in nginx).
    metrics_token: str | None = _env("GATEWAY_METRICS_TOKEN", parse.secret_text, None, secret=True)

    def __post_init__(self) -> None:
        """Resolve every relative path once, against the working directory at start-up.

        Nothing downstream may resolve it again: Flask's ``send_file`` resolves a relative
        path against the package folder (hosted images answered 500), and gunicorn's
        ``--chdir`` moves the process after ``gunicorn.conf.py`` has read the settings.
        """
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("path") and value is not None:
                object.__setattr__(self, f.name, f.metadata["path"](value))

    def path_environ(self) -> dict[str, str]:
        """The path settings as absolute ``GATEWAY_*`` values, for a process to export so
        that whatever reads the environment after a change of directory agrees."""
        return {
            f.metadata["env"]: getattr(self, f.name)
            for f in fields(self)
            if f.metadata.get("path") and getattr(self, f.name) is not None
        }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse every ``GATEWAY_*`` variable; raise :class:`SettingsError` naming the bad one."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            raw = environ.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                # The value itself may be a secret someday: name the variable only.
                raise SettingsError(f"{name}: invalid value ({exc})") from None
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Cross-field rules and the custom-host allowlist syntax."""
        from_env = {f.name: f.metadata["env"] for f in fields(self)}
        for entry in self.allowed_custom_hosts:
            try:
                parse_allow_entry(entry)
            except ValueError as exc:
                raise SettingsError(f"{from_env['allowed_custom_hosts']}: {exc}") from None
        if self.uses_postgres and not self.master_keys:
            # Shared secrets live in the database under it (gateway/store/secrets.py).
            raise SettingsError(
                "GATEWAY_MASTER_KEY: required when GATEWAY_DATABASE_URL is PostgreSQL "
                "(a master key file in one data directory cannot be shared)"
            )
        if self.max_requests_jitter > self.max_requests > 0:
            raise SettingsError("GATEWAY_MAX_REQUESTS_JITTER: must not exceed GATEWAY_MAX_REQUESTS")
        if self.upload_max_file_bytes > self.upload_max_bytes:
            raise SettingsError(
                "GATEWAY_UPLOAD_MAX_FILE_BYTES: must not exceed GATEWAY_UPLOAD_MAX_BYTES"
            )
        if self.metrics_dir and self.metrics_dir == self.data_dir:
            # Every *.db file there is read as a metric file, gateway.db included.
            raise SettingsError("GATEWAY_METRICS_DIR: must not be GATEWAY_DATA_DIR itself")
        if self.graceful_timeout < self.read_timeout:
            raise SettingsError(
                "GATEWAY_GRACEFUL_TIMEOUT: must be at least GATEWAY_READ_TIMEOUT, "
                "or reloads would cut generations in flight"
            )
        if self.worker_class == "gthread" and self.threads is None and self.max_in_flight > 4096:
            raise SettingsError(
                "GATEWAY_MAX_IN_FLIGHT: above 4096 with gthread workers; "
                "set GATEWAY_THREADS or GATEWAY_WORKER_CLASS=gevent"
            )

    @property
    def uses_postgres(self) -> bool:
        """``GATEWAY_DATABASE_URL`` names PostgreSQL (instances share the store)."""
        scheme = (self.database_url or "").split("://", 1)[0].split("+", 1)[0].lower()
        return scheme in {"postgresql", "postgres"}

    @property
    def threads_per_worker(self) -> int:
        """gthread's pool size: ``threads``, or the whole in-flight capacity."""
        return self.threads or self.max_in_flight

    @property
    def images_dir(self) -> str:
        return os.path.join(self.data_dir, "images")

    @property
    def upload_path(self) -> str:
        """Where uploads are spooled: GATEWAY_UPLOAD_DIR or <data_dir>/uploads."""
        return self.upload_dir or os.path.join(self.data_dir, "uploads")

    @property
    def cache_dir(self) -> str:
        """Cached images (content-addressed files); their index is ``cache_entries``."""
        return os.path.join(self.data_dir, "cache")

    @property
    def cache_key_path(self) -> str:
        """The HMAC key that turns provider credentials into the cache key's identity."""
        return os.path.join(self.data_dir, "cache.key")

    @property
    def db_path(self) -> str:
        return os.path.join(self.data_dir, "gateway.db")

    @property
    def metrics_path(self) -> str:
        """The directory gunicorn.conf.py exports as ``PROMETHEUS_MULTIPROC_DIR``."""
        return self.metrics_dir or os.path.join(self.data_dir, "metrics")

    @property
    def master_key_path(self) -> str:
        """Used only when ``GATEWAY_MASTER_KEY`` is unset."""
        return os.path.join(self.data_dir, "master.key")

    @property
    def pepper_path(self) -> str:
        """The HMAC pepper for gateway API key hashes; never derived from the master key."""
        return os.path.join(self.data_dir, "pepper")


def parse_allow_entry(entry: str) -> tuple[str, str, int]:
    """``scheme://host[:port]`` -> (scheme, host, port), the form the allowlist compares."""
    parts = urlsplit(entry.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("each entry must look like https://host[:port]")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError("an entry must have no path, query or credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("an entry has an invalid port") from None
    return parts.scheme, parts.hostname.lower(), port
