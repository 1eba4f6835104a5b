"""The request log's writer and reads, on SQLite and on PostgreSQL (``store``: both)."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy.exc import OperationalError

from gateway import os_threads
from gateway import request_log as request_log_module
from gateway.request_log import RequestLog, query
from gateway.store import request_log as store_log
from gateway.store.database import Database
from gateway.store.engine import normalise
from tests import store_fixtures
from tests.store_fixtures import rows_of, via, with_password

store_case = store_fixtures.store_case
store = store_fixtures.store
pg_case = store_fixtures.pg_case
postgres_server = store_fixtures.postgres_server
pg_proxy = store_fixtures.pg_proxy


def row(**kw):
    base = {
        "created_at": 1000.0,
        "request_id": "r",
        "trace_id": "t",
        "status": 200,
        "latency_ms": 1.5,
        "bytes_out": 10,
    }
    base.update(kw)
    return base


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(os_threads, "sleep", lambda s: None)


def test_rows_from_many_threads_are_all_written(store):
    log = RequestLog(store)
    threads = [
        threading.Thread(
            target=lambda i=i: [log.record(row(trace_id=f"t{i}-{j}")) for j in range(50)]
        )
        for i in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.flush(10)
    assert rows_of(store, "SELECT count(*), count(DISTINCT trace_id) FROM request_log") == [
        (400, 400)
    ]
    assert log.lost == 0


def test_a_row_and_its_attempts_are_stored_as_given(store):
    log = RequestLog(store)
    attempt = {
        "request_id": "req_1",
        "seq": 0,
        "target_path": "0",
        "provider": "openai",
        "status": 502,
        "failure": "status",
        "latency_ms": 12.345,
        "created_at": 1_700_000_000.25,
    }
    full = row(
        request_id="req_1",
        trace_id="tr-1",
        provider="openai",
        model="dall-e-3",
        n=2,
        size="1024x1024",
        quality="hd",
        status=502,
        latency_ms=0.1 + 0.2,
        upstream_latency_ms=7.0,
        error_code="upstream_error",
        bytes_out=2**40,
        metadata='{"a": 1}',
        prompt="un phare, 灯台",
        team="design",
        config_version=3,
        images=2,
        cost_micro_usd=2**62,
        created_at=1_700_000_000.123456,
    )
    log.record(full, [attempt, {**attempt, "seq": 1, "status": 200, "failure": None}])
    assert log.flush()
    [got] = query(store)
    assert got["id"] == 1
    assert {k: got[k] for k in full} == full  # floats and 64-bit ints exactly as given
    assert got["target"] is None
    attempts = store_log.attempts_of(store, "req_1")
    assert [(a["seq"], a["status"], a["failure"], a["latency_ms"]) for a in attempts] == [
        (0, 502, "status", 12.345),
        (1, 200, None, 12.345),
    ]


def test_query_filters(store):
    log = RequestLog(store)
    log.record(row(trace_id="a", status=200, created_at=100.0))
    log.record(row(trace_id="b", status=429, created_at=200.0))
    log.record(row(trace_id="c", status=502, created_at=300.0))
    log.record(row(trace_id="d", status=499, created_at=300.0))  # same time: newer id first
    assert log.flush()
    assert [r["trace_id"] for r in query(store)] == ["d", "c", "b", "a"]
    assert [r["trace_id"] for r in query(store, status="4xx")] == ["d", "b"]
    assert [r["trace_id"] for r in query(store, status="4XX")] == ["d", "b"]
    assert [r["trace_id"] for r in query(store, status="502")] == ["c"]
    assert [r["trace_id"] for r in query(store, since=150.0)] == ["d", "c", "b"]
    assert [r["trace_id"] for r in query(store, trace_id="a")] == ["a"]
    assert [r["trace_id"] for r in query(store, limit=1)] == ["d"]
    assert query(store, trace_id="a", status="5xx") == []


def test_an_unwritable_sqlite_store_is_reported_not_silent(tmp_path, caplog, no_pause):
    (tmp_path / "file").write_text("")  # the store's directory cannot be made under a file
    url = normalise("sqlite:///gateway.db", str(tmp_path / "file" / "data"))
    log = RequestLog(Database(url, data_dir=str(tmp_path)))
    log.record(row())
    assert log.flush()
    assert log.lost == 1
    assert "request log: 1 rows could not be written: NotADirectoryError" in caplog.text


def test_postgresql_down_rows_are_counted_and_reported_without_the_password(
    pg_case, pg_proxy, caplog, no_pause
):
    url = with_password(via(pg_case.env_url, pg_proxy.port), "s3cret-pw")
    database = Database(normalise(url, "."), data_dir=".")
    log = RequestLog(database)
    log.record(row(trace_id="before"))
    assert log.flush()
    pg_proxy.stop()
    for i in range(3):
        log.record(row(trace_id=f"lost-{i}"))
    assert log.flush(30)
    assert log.lost == 3
    [message] = [r.getMessage() for r in caplog.records if r.name == "gateway.request_log"]
    assert message.startswith(
        "request log: 3 rows could not be written: OperationalError: connection failed: "
    )
    assert "s3cret" not in caplog.text
    pg_proxy.start()  # back: the next rows are written again, the lost ones stay lost
    log.record(row(trace_id="after"))
    assert log.flush(30)
    assert [r["trace_id"] for r in query(pg_case.database)] == ["after", "before"]
    database.dispose()


def test_a_short_outage_within_the_retries_loses_nothing(store, monkeypatch, caplog):
    real = store_log.write_batch
    failures = iter([OperationalError("INSERT", {}, Exception("server closed"))] * 3)
    pauses = []
    monkeypatch.setattr(os_threads, "sleep", pauses.append)

    def flaky(*args, **kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(store_log, "write_batch", flaky)
    log = RequestLog(store)
    log.record(row(trace_id="kept"))
    assert log.flush()
    assert pauses == [0.05, 0.1, 0.2]
    assert [r["trace_id"] for r in query(store)] == ["kept"]
    assert log.lost == 0
    assert "could not be written" not in caplog.text


def test_a_row_the_store_refuses_costs_only_that_row(store, caplog, no_pause):
    log = RequestLog(store)
    items = [
        request_log_module._item(row(trace_id=name, prompt=prompt), [])
        for name, prompt in (("a", "ok"), ("b", "bad \ud800 surrogate"), ("c", "fine"))
    ]
    log._write(items)
    assert sorted(r["trace_id"] for r in query(store)) == ["a", "c"]
    assert log.lost == 1
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith("request log: 1 rows could not be written: ")
    assert "surrogate" not in message  # never the refused row's text


def test_nul_in_text_is_kept_by_sqlite_and_replaced_for_postgresql(store_case):
    log = RequestLog(store_case.database)
    log.record(row(prompt="a\x00b", model="m\x00"))
    assert log.flush()
    [got] = query(store_case.database)
    if store_case.engine == "sqlite":
        assert (got["prompt"], got["model"]) == ("a\x00b", "m\x00")
    else:
        assert (got["prompt"], got["model"]) == ("a\ufffdb", "m\ufffd")
    assert log.lost == 0


def test_offer_drops_when_the_queue_is_full_counted_and_logged(tmp_path, caplog):
    log = RequestLog(Database(f"sqlite:///{tmp_path}/gateway.db", data_dir=str(tmp_path)))
    log._pid, log.capacity = os.getpid(), 1  # no writer thread: the queue stays full
    assert log.offer(row(status=503)) is True
    assert [log.offer(row(status=503)) for _ in range(5)] == [False] * 5
    assert log.dropped == 5
    # Logged at the 1st, 2nd and 4th drop: a burst cannot flood the error log.
    assert [r.getMessage() for r in caplog.records] == [
        f"request log: queue full, {n} rows dropped so far" for n in (1, 2, 4)
    ]


def test_offered_rows_are_written(store):
    log = RequestLog(store)
    assert log.offer(row(status=503, error_code="gateway_overloaded"))
    assert log.flush(10)
    assert rows_of(store, "SELECT status, error_code FROM request_log") == [
        (503, "gateway_overloaded")
    ]
