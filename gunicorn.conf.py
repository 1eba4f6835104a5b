"""gunicorn settings, all from GATEWAY_* variables validated by gateway.settings.

It reads ``gateway.settings`` and checks it with ``gateway.check_settings`` (no app, no
sockets yet) so that a bad value stops the master before any worker starts, with one line
naming the variable.
(The metrics and admission hooks below import ``gateway.observability.metrics_files`` and
``gateway.admission`` when they run, in the master.)
"""

import os
import sys

# GATEWAY_WORKER_CLASS=gevent: patch before anything is imported or built. preload_app
# builds the app in this master: locks, thread-locals and queues made before the patch
# would be real OS ones, and a greenlet waiting on a real lock held by another greenlet
# of its worker blocks the whole worker. gunicorn's worker patches again after the fork
# (then a no-op). (The value is validated with the others below.)
if os.environ.get("GATEWAY_WORKER_CLASS", "").strip().lower() == "gevent":
    try:
        from gevent import monkey
    except ImportError:
        sys.stderr.write(
            "gateway: configuration error: GATEWAY_WORKER_CLASS: gevent is not installed "
            "(pip install '.[gevent]')\n"
        )
        sys.exit(2)
    monkey.patch_all()

from gateway import check_settings
from gateway.settings import Settings, SettingsError

try:
    _s = Settings.from_env()
    check_settings(_s)
except SettingsError as exc:
    sys.stderr.write(f"gateway: configuration error: {exc}\n")
    sys.exit(2)


def _stop_on_store_error():
    """A store that cannot be reached or migrated while the app is built (preload_app: in
    this master, after this file and before any server hook) stops gunicorn with one line
    naming the variable, as a bad setting does, instead of gunicorn's own ``Error:`` line.
    The store's message names the host, never the password (gateway.store.database).
    Checking the store here instead would make a HUP during an outage stop the master."""
    from gunicorn.app.wsgiapp import WSGIApplication

    from gateway.store.database import StoreError

    load = WSGIApplication.load
    if getattr(load, "gateway_store_errors", False):
        return  # this file runs again on HUP

    def load_or_stop(self):
        try:
            return load(self)
        except StoreError as exc:
            where = "GATEWAY_DATABASE_URL" if _s.database_url else "GATEWAY_DATA_DIR"
            sys.stderr.write(f"gateway: store error: {where}: {exc}\n")
            sys.exit(2)

    load_or_stop.gateway_store_errors = True
    WSGIApplication.load = load_or_stop


_stop_on_store_error()

# Paths were made absolute against the directory gunicorn started in. The app is built
# later, after gunicorn applies a --chdir: it reads these same absolute values.
os.environ.update(_s.path_environ())

# Prometheus multiprocess mode: each worker writes its metrics to files in this directory
# and GET /metrics adds them up. prometheus_client picks its mode when it is first
# imported, so the variable is set here, before the app (preload_app) is loaded.
if _s.metrics:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _s.metrics_path


def on_starting(server):
    """A new master counts from zero: remove the metric files of a previous run.

    Not at import: HUP re-reads this file while old workers still write their files.
    """
    if _s.metrics:
        from gateway.observability import metrics_files

        metrics_files.reset(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def when_ready(server):
    """Admission control counts across every worker: its shared table is made here, in
    the master, after the app is built (preload_app) and before the first fork."""
    from gateway import admission

    admission.share(server.app.wsgi())


def child_exit(server, worker):
    """Free the admission slot of an exited worker (a SIGKILLed one still held calls), and
    fold its counts into the metric archive files (totals survive recycling).

    Never raises: gunicorn's master stops every worker and exits on an exception from
    this hook, and a full disk or a damaged metric file must not take the gateway down.
    """
    try:
        from gateway import admission

        held = admission.retire(server.app.wsgi(), worker.pid)
        if held:
            server.log.warning("admission: worker %s exited holding %d calls", worker.pid, held)
    except Exception:  # logged: the slot stays taken until a new worker sweeps it
        server.log.exception("admission: could not free the slot of worker %s", worker.pid)
    if _s.metrics:
        try:
            from gateway.observability import metrics_files

            metrics_files.retire(os.environ["PROMETHEUS_MULTIPROC_DIR"], worker.pid)
        except Exception:  # logged: losing one worker's counts is the lesser harm
            server.log.exception("metrics: could not fold the counts of worker %s", worker.pid)


def worker_exit(server, worker):
    """In the exiting worker: write the request log's queued rows, then close this
    worker's pooled database connections (PostgreSQL counts open ones against its
    max_connections until they close). Never raises: the worker is on its way out."""
    try:
        state = server.app.wsgi().extensions["gateway"]
        state.request_log.flush()
        state.database.dispose()
    except Exception:  # logged: the connections close with the process anyway
        server.log.exception("store: could not close the connections of worker %s", worker.pid)


bind = _s.bind
# Each image call holds its connection for 5 to 60 s; sync workers would be killed by
# `timeout` and serve one request at a time. gthread (default) or gevent, measured in
# bench/README.md ("Capacity"). (gateway.gunicorn_worker: the same workers, whose own
# parse-error pages are JSON that quotes nothing.)
worker_class = (
    "gateway.gunicorn_worker.JsonErrorGeventWorker"
    if _s.worker_class == "gevent"
    else "gateway.gunicorn_worker.JsonErrorThreadWorker"
)
workers = _s.workers
# Sizing follows GATEWAY_MAX_IN_FLIGHT, which admission control enforces for the whole
# instance. The kernel does not spread connections evenly over the workers, and a
# gthread worker queues, out of sight, the calls its threads cannot take while another
# worker may sit idle. So any one worker can hold every call: gthread gets that many
# threads per worker (its pool grows only as calls come), gevent that many greenlets.
# gthread's worker_connections leaves room for idle keep-alive connections, which hold
# no thread.
threads = _s.threads_per_worker
worker_connections = _s.max_in_flight if _s.worker_class == "gevent" else threads * 2
# With gthread and gevent, `timeout` is a heartbeat, not a request limit.
timeout = _s.worker_timeout
# In-flight generations must survive HUP/TERM/max_requests recycling.
graceful_timeout = _s.graceful_timeout
keepalive = _s.keepalive
# gunicorn's default: more than the 1,000 connections a burst opens at once.
backlog = 2048
max_requests = _s.max_requests
max_requests_jitter = _s.max_requests_jitter
# Build the app once in the master: a bad setting or store fails fast; the app opens
# sockets and the request-log thread lazily, inside each worker.
preload_app = True
# Room for an 8 KiB x-portkey-config, and above nginx's 16 KiB header line, so behind
# nginx it is nginx that answers, with a JSON error page. The field count stays small:
# gunicorn buffers every header, so a huge count is a memory and CPU lever for a client.
limit_request_field_size = 16400
limit_request_fields = 200
# No local control channel left open; two instances under one user do not collide.
control_socket_disable = True
loglevel = _s.log_level.lower()
# gunicorn's logger, but an access line that is off (below) costs nothing per request.
logger_class = "gateway.gunicorn_worker.QuietAccessLogger"
# The path without its query string, should gunicorn's access log be turned on here.
# The app writes its own JSON access line (GATEWAY_ACCESS_LOG), which is far cheaper.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Both gunicorn loggers go to stdout through the same secret scrubber as the app's
# (gunicorn quotes invalid header lines in its warnings).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "gateway.redact.ScrubFilter"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "generic",
            "filters": ["scrub"],
        },
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
            "filters": ["scrub"],
        },
    },
    "root": {"level": "WARNING", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"level": _s.log_level, "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": ["access"], "propagate": False},
    },
}
