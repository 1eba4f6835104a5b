"""The gateway under gunicorn's gevent worker (``GATEWAY_WORKER_CLASS=gevent``): a
generation, its request-log row, a cache hit, and a clean shutdown that leaves every
request-log row and cache hit written (the workers flush at exit)."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
import requests

if __package__:
    from .conftest import poll
    from .fake_provider import TINY_PNG_B64
else:  # rootdir-less run: pytest put this folder on sys.path
    from conftest import poll
    from fake_provider import TINY_PNG_B64

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None,
    reason="gevent is not installed (pip install -e '.[test]' installs it)",
)

KEY = "sk-e2e-gevent-0123456789abcdef"
PATH = "/v1/images/generations"
SIMPLE = json.dumps({"cache": {"mode": "simple"}})
CALLS = 40


def post(gateway, prompt, trace):
    headers = {
        "Authorization": f"Bearer {KEY}",
        "x-portkey-config": SIMPLE,
        "x-portkey-trace-id": trace,
        "Connection": "close",  # a new connection each time: either worker may take it
    }
    body = {"model": "dall-e-2", "prompt": prompt, "response_format": "b64_json"}
    with requests.Session() as session:
        session.trust_env = False
        return session.post(gateway.url(PATH), json=body, headers=headers, timeout=30)


def store(gateway, sql):
    with closing(sqlite3.connect(f"file:{gateway.db_path}?mode=ro", uri=True)) as db:
        return db.execute(sql).fetchall()


@pytest.mark.local_files
def test_generation_log_cache_and_shutdown_under_gevent(start_gateway, fake_provider):
    gateway = start_gateway(GATEWAY_WORKER_CLASS="gevent", GATEWAY_WORKERS="2")

    miss = post(gateway, "a gevent lighthouse", "gevent-miss")
    assert miss.status_code == 200, miss.text
    assert miss.headers["x-portkey-cache-status"] == "MISS"
    assert [d["b64_json"] for d in miss.json()["data"]] == [TINY_PNG_B64]
    rows = gateway.log_rows("gevent-miss")
    assert [(r["status"], r["cache_status"]) for r in rows] == [(200, "MISS")]

    hit = post(gateway, "a gevent lighthouse", "gevent-hit")
    assert hit.status_code == 200, hit.text
    assert hit.headers["x-portkey-cache-status"] == "HIT"
    assert hit.json() == miss.json()
    assert len([r for r in fake_provider.requests if r.path == PATH]) == 1

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: post(gateway, "a gevent lighthouse", f"gevent-{i}"), range(CALLS))
        )
    assert [a.headers["x-portkey-cache-status"] for a in answers] == ["HIT"] * CALLS

    gateway.stop()
    assert gateway.proc.returncode == 0
    log = gateway.stdout_text()
    assert "Traceback" not in log, log
    assert "Exception ignored" not in log, log  # an atexit flush that failed
    assert "could not be written" not in log, log
    # Every row and every hit is in the store once the workers have exited.
    assert poll(lambda: len(gateway.log_rows(timeout=0)) == CALLS + 2, 2.0)
    assert store(gateway, "SELECT count(*), sum(hits) FROM cache_entries") == [(1, CALLS + 1)]
