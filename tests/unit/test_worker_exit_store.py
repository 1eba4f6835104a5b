"""gunicorn.conf.py's ``worker_exit``: the exiting worker writes its queued request-log
rows and closes its pooled database connections, while the process still lives.

Run in a fresh interpreter: gunicorn.conf.py sets process-wide environment variables."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests import store_fixtures
from tests.factories import MASTER_KEY_1
from tests.store_fixtures import rows_of

store_case = store_fixtures.store_case
postgres_server = store_fixtures.postgres_server
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = textwrap.dedent(
    """
    import json, logging, os, runpy

    conf = runpy.run_path("gunicorn.conf.py")
    from gateway import create_app

    app = create_app()
    state = app.extensions["gateway"]

    def sessions():
        if state.database.is_sqlite:
            return None
        import psycopg

        url = state.database.url.replace("+psycopg", "")
        with psycopg.connect(url, application_name="probe") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'image-gateway'"
            ).fetchone()[0]

    class App:
        wsgi = staticmethod(lambda: app)

    class Server:
        app = App
        log = logging.getLogger("server")

    class Worker:
        pid = os.getpid()

    state.request_log.record({"created_at": 1.0, "request_id": "r", "trace_id": "exit",
                              "status": 200, "latency_ms": 1.0, "bytes_out": 0})
    with state.database.read() as connection:
        connection.exec_driver_sql("SELECT 1")  # a pooled connection, now idle
    before = sessions()
    conf["worker_exit"](Server, Worker)
    out = {"before": before, "after": sessions(), "queued": state.request_log._queue.qsize(),
           "disposed": state.database._engines._engine is None}
    from gateway.store.request_log import query

    out["logged"] = [r["trace_id"] for r in query(state.database)]
    print(json.dumps(out))
    """
)


def test_worker_exit_writes_the_rows_and_closes_the_pool(store_case):
    env = {
        "PATH": "/usr/bin:/bin",
        "GATEWAY_DATA_DIR": str(store_case.data_dir),
        "GATEWAY_MASTER_KEY": MASTER_KEY_1,
    }
    if store_case.env_url is not None:
        env["GATEWAY_DATABASE_URL"] = store_case.env_url
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert (out["disposed"], out["queued"], out["logged"]) == (True, 0, ["exit"])
    if store_case.engine == "postgresql":
        assert out["before"] >= 1  # the writer's pooled connection, idle
        assert out["after"] == 0  # closed by worker_exit, the process still alive
    assert rows_of(store_case.database, "SELECT trace_id FROM request_log") == [("exit",)]
