"""gunicorn's worker classes: gthread by default, gevent on request, both with JSON errors."""

from __future__ import annotations

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
