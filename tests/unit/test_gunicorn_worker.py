"""gunicorn's worker classes: gthread by default, gevent on request, both with JSON errors."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from gateway import gunicorn_worker


def test_importing_the_module_neither_needs_nor_patches_gevent():
    # gunicorn.conf.py's master imports it for either class; gthread must not load gevent.
    code = "import sys, gateway.gunicorn_worker; print('gevent' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_the_gevent_worker_is_gunicorns_with_the_json_error_page():
    pytest.importorskip("gevent")
    from gunicorn.workers.ggevent import GeventWorker

    worker = gunicorn_worker.JsonErrorGeventWorker
    assert issubclass(worker, GeventWorker)
    assert gunicorn_worker.JsonErrorGeventWorker is worker  # built once


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError):
        gunicorn_worker.NoSuchWorker  # noqa: B018


def _atoms_built(level: int, accesslog: str | None) -> list[str]:
    """Whether gunicorn built an access line's atoms, its logger at ``level``."""
    from gunicorn.config import Config

    cfg = Config()
    if accesslog is not None:
        cfg.set("accesslog", accesslog)
    logger = gunicorn_worker.QuietAccessLogger(cfg)
    built: list[str] = []
    logger.atoms = lambda *args: built.append("atoms") or {}  # type: ignore[method-assign]
    access = logging.getLogger("gunicorn.access")
    for handler in [h for h in access.handlers if getattr(h, "_gunicorn", False)]:
        access.removeHandler(handler)  # nothing printed, nothing left for other tests
    access.setLevel(level)
    logger.access(None, None, {}, None)
    return built


def test_gunicorns_access_line_is_not_built_while_its_logger_is_off():
    # gunicorn.conf.py: a logconfig_dict (access "on" for gunicorn), the level CRITICAL.
    assert _atoms_built(logging.CRITICAL, "-") == []


def test_gunicorns_access_line_is_built_when_its_logger_is_on():
    assert _atoms_built(logging.INFO, "-") == ["atoms"]
