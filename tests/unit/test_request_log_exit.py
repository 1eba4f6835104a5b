"""The request log at process exit, with plain threads and under gevent, on SQLite and on
PostgreSQL: every row queued before exit is written, and under gevent the writer's waits
on the database never stall the hub.

Each case runs in a fresh interpreter (gevent must patch before anything is imported),
with the table's write lock held by another connection while the rows are queued (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: ``LOCK TABLE ... IN EXCLUSIVE MODE``), so that rows are
still waiting when the process exits.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import store_fixtures
from tests.store_fixtures import rows_of

store_case = store_fixtures.store_case
postgres_server = store_fixtures.postgres_server
ROOT = Path(__file__).resolve().parents[2]
THREADS, ROWS = 8, 250
SCRIPT = textwrap.dedent(
    """
    import sys
    if sys.argv[1] == "gevent":
        from gevent import monkey

        monkey.patch_all()
    import json, threading, time
    from gateway import os_threads
    from gateway.request_log import RequestLog
    from gateway.store.database import Database

    url, threads, rows = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    log = RequestLog(Database(url, data_dir="."))
    if url.startswith("sqlite"):
        import sqlite3

        blocker = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the writer waits in SQLite's busy handler
    else:
        import psycopg

        blocker = psycopg.connect(url.replace("+psycopg", ""))  # the writer waits for the lock
        blocker.execute("LOCK TABLE request_log IN EXCLUSIVE MODE")

    def produce(i):
        for j in range(rows):
            row = {"created_at": 1.0, "request_id": f"r{i}-{j}", "trace_id": "t"}
            log.record({**row, "status": 200, "latency_ms": 1.0, "bytes_out": 1})

    producers = [threading.Thread(target=produce, args=(i,)) for i in range(threads)]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    started = time.monotonic()
    time.sleep(0.2)  # gevent's sleep under gevent: the hub runs the other greenlets
    slept = time.monotonic() - started
    queued = log._queue.qsize()
    blocker.execute("COMMIT") if url.startswith("sqlite") else blocker.commit()
    print(json.dumps({"patched": os_threads.gevent_patched(), "slept": slept, "queued": queued}))
    # No flush: the atexit hook must write every queued row.
    """
)


def run(mode: str, case: store_fixtures.StoreCase) -> tuple[dict, int]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, case.database.url, str(THREADS), str(ROWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    [(written,)] = rows_of(case.database, "SELECT count(*) FROM request_log")
    return json.loads(done.stdout), written


def test_rows_queued_at_exit_are_written_with_threads(store_case):
    out, written = run("threads", store_case)
    assert out["patched"] is False
    assert out["queued"] > 0  # rows were still waiting when the process exited
    assert written == THREADS * ROWS


@pytest.mark.skipif(
    importlib.util.find_spec("gevent") is None,
    reason="gevent is not installed (pip install -e '.[test]' installs it)",
)
def test_rows_queued_at_exit_are_written_under_gevent(store_case):
    out, written = run("gevent", store_case)
    assert out["patched"] is True
    assert out["queued"] > 0
    assert written == THREADS * ROWS
    # The writer waits for the lock on its own OS thread: greenlets keep running (as a
    # greenlet it would freeze the hub in SQLite's busy handler, up to 10 s, or in
    # PostgreSQL's lock wait).
    assert out["slept"] < 2.0
