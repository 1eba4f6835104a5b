"""The usage stores: one contract for the fake, SQLite, PostgreSQL and Redis; exact under
concurrent threads and processes; the Lua script against decide(); a store that is down."""

from __future__ import annotations

import multiprocessing
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import redis
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from gateway.limits import (
    Hold,
    LimitExceeded,
    Limits,
    LimitsUnavailable,
    MemoryUsageStore,
    Usage,
    decide,
    usage_of,
    windows,
)
from gateway.settings import Settings
from gateway.store import usage as usage_module
from gateway.store.database import Database
from gateway.store.redis_usage import RedisUsageStore
from gateway.store.tables import usage_windows
from gateway.store.usage import DatabaseUsageStore, open_usage
from tests.store_servers import redis_url


def at(moment: str) -> float:
    return datetime.fromisoformat(moment).replace(tzinfo=timezone.utc).timestamp()


# In the future: Redis expires a window at its end by the server's clock, so a window of
# the past would be gone as soon as it was written.
NOW = at("2036-11-26T03:30:15")  # 45 s to the next minute
KEY = "ak_000000000001"


@pytest.fixture(scope="session")
def redis_server() -> str:
    # Session scope: resolved before the autouse fixture that scrubs GATEWAY_* variables.
    return redis_url()


def database_for(url: str, data_dir: str, pool_size: int = 5) -> Database:
    settings = Settings(data_dir=data_dir, database_url=url, db_pool_size=pool_size)
    return Database.from_settings(settings)


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self.store = MemoryUsageStore()

    def usage(self, key_id: str, now: float) -> Usage:
        rows = self.store.rows.items()
        mine = {w: (int(r[0]), int(r[1]), int(r[2])) for (k, w), r in rows if k == key_id}
        return usage_of(mine, windows(now))

    def windows_of(self, key_id: str) -> list[str]:
        return sorted(w for k, w in self.store.rows if k == key_id)

    def close(self) -> None:
        pass


class DatabaseBackend:
    def __init__(self, name: str, url: str, data_dir: str) -> None:
        self.name, self.url, self.data_dir = name, url, data_dir
        self.database = database_for(url, data_dir)
        self.database.migrate()
        self.store = DatabaseUsageStore(self.database)

    def separate(self) -> DatabaseUsageStore:
        """A store of its own, as another instance of the gateway would have."""
        return DatabaseUsageStore(database_for(self.url, self.data_dir, pool_size=4))

    @staticmethod
    def release(store: DatabaseUsageStore) -> None:
        store.database.dispose()

    def rows(self, key_id: str) -> dict[str, tuple[int, int, int, float]]:
        uw = usage_windows
        with self.database.read() as connection:
            found = connection.execute(
                select(
                    uw.c.window, uw.c.requests, uw.c.images, uw.c.spend_micro_usd, uw.c.expires_at
                ).where(uw.c.key_id == key_id)
            )
            return {r[0]: (r[1], r[2], r[3], r[4]) for r in found}

    def usage(self, key_id: str, now: float) -> Usage:
        return usage_of({w: r[:3] for w, r in self.rows(key_id).items()}, windows(now))

    def windows_of(self, key_id: str) -> list[str]:
        return sorted(self.rows(key_id))

    def close(self) -> None:
        self.database.dispose()


class RedisBackend:
    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"gwtest:{uuid.uuid4().hex[:12]}:"
        self.client = redis.Redis.from_url(url)
        self.store = RedisUsageStore(url, prefix=self.prefix)

    def separate(self) -> RedisUsageStore:
        return RedisUsageStore(self.url, prefix=self.prefix)

    @staticmethod
    def release(store: RedisUsageStore) -> None:
        store.close()

    def key(self, key_id: str, window: str) -> str:
        return self.store.key(key_id, window)

    def usage(self, key_id: str, now: float) -> Usage:
        w = windows(now)
        minute = self.client.hmget(self.key(key_id, w.minute), "requests", "images")
        day = self.client.hget(self.key(key_id, w.day), "spend")
        month = self.client.hget(self.key(key_id, w.month), "spend")
        return Usage(*(int(v or 0) for v in (*minute, day, month)))

    def windows_of(self, key_id: str) -> list[str]:
        start = len(self.key(key_id, ""))
        keys = self.client.scan_iter(match=self.key(key_id, "*"))
        return sorted(k.decode()[start:] for k in keys)

    def close(self) -> None:
        self.store.close()
        keys = list(self.client.scan_iter(match=f"{self.prefix}*"))
        if keys:
            self.client.delete(*keys)
        self.client.close()


def make_backend(request: pytest.FixtureRequest, name: str, tmp_path: Any) -> Any:
    if name == "memory":
        return MemoryBackend()
    if name == "redis":
        return RedisBackend(request.getfixturevalue("redis_server"))
    url = request.getfixturevalue("sqlite_db" if name == "sqlite" else "postgres_db")
    return DatabaseBackend(name, url, str(tmp_path / "data"))


@pytest.fixture(params=["memory", "sqlite", "postgresql", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    made = make_backend(request, request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[DatabaseBackend]:
    made = make_backend(request, request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def shared_backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """The stores that several workers and instances share."""
    made = make_backend(request, request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture
def redis_backend(redis_server: str) -> Iterator[RedisBackend]:
    made = RedisBackend(redis_server)
    yield made
    made.close()


# The contract, for every store.


def test_requests_are_counted_until_the_limit_then_refused(backend):
    store, limits = backend.store, Limits(rpm=2)
    assert store.reserve(KEY, limits, 1, 0, NOW).key_id == KEY
    store.reserve(KEY, limits, 1, 0, NOW + 1)
    with pytest.raises(LimitExceeded) as refused:
        store.reserve(KEY, limits, 1, 0, NOW + 2)
    assert (refused.value.code, refused.value.retry_after) == ("rate_limit_rpm", 43)
    assert refused.value.message == "Rate limit reached: this API key allows 2 requests per minute."
    # The next minute is a new window.
    assert store.reserve(KEY, limits, 1, 0, at("2036-11-26T03:31:00")).key_id == KEY


def test_images_are_counted_per_minute(backend):
    store, limits = backend.store, Limits(ipm=5)
    store.reserve(KEY, limits, 3, 0, NOW)
    with pytest.raises(LimitExceeded, match="5 images per minute"):
        store.reserve(KEY, limits, 3, 0, NOW)
    store.reserve(KEY, limits, 2, 0, NOW)
    assert backend.usage(KEY, NOW) == Usage(requests=2, images=5)


def test_spend_is_reserved_then_settled_to_the_actual_cost(backend):
    store, limits = backend.store, Limits(daily_micro_usd=100_000)
    first = store.reserve(KEY, limits, 1, 80_000, NOW)
    assert first == Hold(KEY, "day:2036-11-26", "month:2036-11", 80_000)
    with pytest.raises(LimitExceeded, match=r"\$0.08 spent"):
        store.reserve(KEY, limits, 1, 40_000, NOW)
    store.settle(first, 0)  # a failure (or a cache hit): the estimate is released
    second = store.reserve(KEY, limits, 1, 80_000, NOW)
    store.settle(second, 40_000)  # fewer images than asked
    store.reserve(KEY, limits, 1, 40_000, NOW)
    with pytest.raises(LimitExceeded, match=r"\$0.08 spent"):
        store.reserve(KEY, limits, 1, 40_000, NOW)
    assert backend.usage(KEY, NOW) == Usage(3, 3, 80_000, 80_000)


def test_a_settlement_never_takes_spend_below_zero(backend):
    store, limits = backend.store, Limits(monthly_micro_usd=100_000)
    hold = store.reserve(KEY, limits, 1, 40_000, NOW)
    store.settle(hold, 0)
    store.settle(hold, 0)  # settled twice by mistake: the spend stays at 0
    assert backend.usage(KEY, NOW) == Usage(1, 1, 0, 0)
    store.settle(hold, 40_000)  # the same amount as the estimate: nothing to do
    assert backend.usage(KEY, NOW) == Usage(1, 1, 0, 0)


def test_a_budget_spans_days_of_its_month(backend):
    store = backend.store
    limits = Limits(daily_micro_usd=100_000, monthly_micro_usd=100_000)
    store.settle(store.reserve(KEY, limits, 1, 40_000, NOW), 40_000)
    tomorrow = at("2036-11-27T09:00:00")
    store.settle(store.reserve(KEY, limits, 1, 40_000, tomorrow), 40_000)
    with pytest.raises(LimitExceeded) as refused:
        store.reserve(KEY, limits, 1, 40_000, tomorrow)
    assert (refused.value.code, refused.value.retry_after) == (
        "budget_monthly",
        4 * 86400 - 9 * 3600,
    )
    assert store.reserve(KEY, limits, 1, 40_000, at("2036-12-01T00:00:00")).key_id == KEY


def test_a_key_without_limits_holds_and_writes_nothing(backend):
    store = backend.store
    assert store.reserve(KEY, Limits(), 10, 10**9, NOW) == Hold()
    store.settle(Hold(), 5)  # nothing held: nothing to do
    assert backend.windows_of(KEY) == []


def test_a_refused_request_writes_nothing(backend):
    with pytest.raises(LimitExceeded, match="this request asks for 5"):
        backend.store.reserve(KEY, Limits(ipm=4), 5, 0, NOW)
    with pytest.raises(LimitExceeded, match="per UTC day"):
        backend.store.reserve(KEY, Limits(daily_micro_usd=0), 1, 0, NOW)
    assert backend.windows_of(KEY) == []


def test_each_key_has_its_own_counters(backend):
    store, limits = backend.store, Limits(rpm=1)
    store.reserve(KEY, limits, 1, 0, NOW)
    assert store.reserve("ak_other", limits, 1, 0, NOW).key_id == "ak_other"
    with pytest.raises(LimitExceeded):
        store.reserve(KEY, limits, 1, 0, NOW)


def test_each_window_ends_when_its_period_does(backend):
    store, limits = backend.store, Limits(rpm=5)
    store.reserve(KEY, limits, 1, 0, NOW)
    later = at("2036-12-02T00:00:00")
    store.reserve(KEY, limits, 1, 0, later)
    if backend.name == "redis":  # Redis expires each window at its end, by itself
        ends = {
            "minute:2036-11-26T03:30": "2036-11-26T03:31:00",
            "day:2036-11-26": "2036-11-27T00:00:00",
            "month:2036-11": "2036-12-01T00:00:00",
            "minute:2036-12-02T00:00": "2036-12-02T00:01:00",
            "day:2036-12-02": "2036-12-03T00:00:00",
            "month:2036-12": "2037-01-01T00:00:00",
        }
        client = backend.client
        assert {w: client.expiretime(backend.key(KEY, w)) for w in ends} == {
            w: int(at(end)) for w, end in ends.items()
        }
    else:  # the others delete expired windows as they write new ones
        assert backend.windows_of(KEY) == [
            "day:2036-12-02",
            "minute:2036-12-02T00:00",
            "month:2036-12",
        ]


# The database store.


def test_the_database_store_does_not_read_api_keys(database_backend):
    with database_backend.database.write() as connection:
        connection.execute(text("DROP TABLE api_keys"))
    store = database_backend.store
    store.reserve(KEY, Limits(rpm=1), 1, 0, NOW)
    with pytest.raises(LimitExceeded, match="1 requests per minute"):
        store.reserve(KEY, Limits(rpm=1), 1, 0, NOW)


def test_a_reservation_that_fails_midway_writes_nothing(database_backend, monkeypatch, caplog):
    store, limits = database_backend.store, Limits(rpm=5, daily_micro_usd=10**6)
    store.reserve(KEY, limits, 1, 40_000, NOW)
    before = database_backend.rows(KEY)

    def fail(connection, now):  # after the rows were inserted, locked and updated
        raise OperationalError("DELETE ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(usage_module, "_delete_expired", fail)
    with pytest.raises(LimitsUnavailable):
        store.reserve(KEY, limits, 2, 40_000, NOW)
    with pytest.raises(LimitsUnavailable):
        store.reserve("ak_new", limits, 2, 40_000, NOW)
    assert database_backend.rows(KEY) == before
    assert database_backend.windows_of("ak_new") == []
    assert "cannot check the limits of key ak_new: Exception: disk I/O error" in caplog.text


def test_the_database_keeps_a_window_per_key_and_period(database_backend):
    store = database_backend.store
    store.reserve(KEY, Limits(ipm=10), 3, 25_000, NOW)
    assert database_backend.rows(KEY) == {
        "minute:2036-11-26T03:30": (1, 3, 25_000, at("2036-11-26T03:31:00")),
        "day:2036-11-26": (1, 3, 25_000, at("2036-11-27T00:00:00")),
        "month:2036-11": (1, 3, 25_000, at("2036-12-01T00:00:00")),
    }


# Exact under concurrency: a budget of K images, 4K reservations at once.

K = 25
PRICE = 40_000
BUDGET = Limits(daily_micro_usd=K * PRICE)
PROCESSES = 4


def reserve_at_once(store: Any, count: int) -> list[str]:
    """``count`` threads, released together, each reserving one image of the budget."""
    start = threading.Barrier(count)
    outcomes: list[str] = []

    def one() -> None:
        start.wait(timeout=30)
        try:
            store.reserve(KEY, BUDGET, 1, PRICE, NOW)
            outcomes.append("admitted")
        except LimitExceeded as refused:
            outcomes.append(refused.code)
        except Exception as exc:
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_exactly_k_of_4k_concurrent_threads_are_admitted(shared_backend):
    outcomes = reserve_at_once(shared_backend.store, 4 * K)
    assert Counter(outcomes) == {"admitted": K, "budget_daily": 3 * K}
    assert shared_backend.usage(KEY, NOW) == Usage(K, K, K * PRICE, K * PRICE)


def test_exactly_k_of_4k_reservations_from_several_processes_are_admitted(shared_backend):
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    start = ctx.Barrier(PROCESSES)

    def worker() -> None:  # a forked process with a store of its own
        try:
            store = shared_backend.separate()
            start.wait(timeout=30)
            results.put(reserve_at_once(store, 4 * K // PROCESSES))
            shared_backend.release(store)
        except Exception as exc:
            results.put([repr(exc)])

    workers = [ctx.Process(target=worker) for _ in range(PROCESSES)]
    for process in workers:
        process.start()
    outcomes = [o for _ in workers for o in results.get(timeout=120)]
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert Counter(outcomes) == {"admitted": K, "budget_daily": 3 * K}
    assert shared_backend.usage(KEY, NOW) == Usage(K, K, K * PRICE, K * PRICE)


def test_a_store_made_before_a_fork_works_in_the_child(shared_backend):
    store = shared_backend.store
    store.reserve("ak_parent", Limits(rpm=5), 1, 0, NOW)  # the parent's pool is in use
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()

    def child() -> None:
        try:
            store.reserve(KEY, Limits(rpm=1), 1, 0, NOW)
            results.put("admitted")
        except Exception as exc:
            results.put(repr(exc))

    process = ctx.Process(target=child)
    process.start()
    assert results.get(timeout=60) == "admitted"
    process.join(timeout=30)
    with pytest.raises(LimitExceeded):  # the child's reservation counts for the parent
        store.reserve(KEY, Limits(rpm=1), 1, 0, NOW)
    store.reserve("ak_parent", Limits(rpm=5), 1, 0, NOW)  # and the parent's pool still works


# The Lua script makes the decisions of decide().

W = windows(NOW)
LUA_CASES = [
    # (limits, usage already counted, n, estimate)
    (Limits(rpm=7), Usage(requests=6), 1, 0),
    (Limits(rpm=7), Usage(requests=7), 1, 0),
    (Limits(rpm=0), Usage(), 1, 0),
    (Limits(ipm=4), Usage(images=3), 1, 0),
    (Limits(ipm=4), Usage(images=3), 2, 0),
    (Limits(ipm=4), Usage(), 4, 0),
    (Limits(ipm=4), Usage(), 5, 0),
    (Limits(daily_micro_usd=100_000), Usage(day_spend=60_000), 1, 40_000),
    (Limits(daily_micro_usd=100_000), Usage(day_spend=60_001), 1, 40_000),
    (Limits(daily_micro_usd=100_000), Usage(day_spend=100_000), 1, 0),
    (Limits(daily_micro_usd=100_000), Usage(day_spend=99_999), 1, 0),
    (Limits(daily_micro_usd=0), Usage(), 1, 0),
    (Limits(monthly_micro_usd=5_000_000), Usage(month_spend=4_990_000), 1, 12_500),
    (Limits(monthly_micro_usd=5_000_000), Usage(month_spend=4_987_500), 1, 12_500),
    (Limits(rpm=1, ipm=1, daily_micro_usd=0), Usage(1, 1, 1, 1), 1, 0),  # rpm first
    (Limits(ipm=1, daily_micro_usd=0), Usage(0, 1, 1, 1), 1, 0),  # then ipm
    (Limits(daily_micro_usd=10, monthly_micro_usd=0), Usage(0, 0, 10, 0), 1, 0),  # then day
    (Limits(daily_micro_usd=10, monthly_micro_usd=5), Usage(0, 0, 0, 5), 1, 0),  # then month
    (Limits(monthly_micro_usd=10**15), Usage(month_spend=10**15 - 1), 1, 1),
    (Limits(monthly_micro_usd=10**15), Usage(month_spend=10**15 - 1), 1, 2),
    (Limits(rpm=10**6, ipm=10**6), Usage(10**6 - 1, 10**6 - 10), 10, 0),
    (Limits(3, 9, 10**6, 10**7), Usage(2, 6, 9 * 10**5, 10**6), 3, 10**5),  # all, admitted
    (Limits(3, 9, 10**6, 10**7), Usage(2, 6, 9 * 10**5 + 1, 10**6), 3, 10**5),
]  # fmt: skip


def random_cases(count: int, seed: int = 20361126) -> list[tuple[Limits, Usage, int, int]]:
    """Small numbers around each limit, so that every boundary is met many times."""
    rng = random.Random(seed)

    def maybe(*values: int) -> int | None:
        return None if rng.random() < 0.35 else rng.choice(values)

    money = (0, 20_000, 40_000, 60_000, 80_000, 100_000, 120_000)
    return [
        (
            Limits(maybe(0, 1, 2, 3, 4), maybe(0, 1, 2, 4, 6), maybe(*money), maybe(*money)),
            Usage(rng.randint(0, 4), rng.randint(0, 6), rng.choice(money), rng.choice(money)),
            rng.randint(1, 4),
            rng.choice((0, 20_000, 40_000, 60_000)),
        )
        for _ in range(count)
    ]


def prime(backend: RedisBackend, key_id: str, usage: Usage) -> None:
    """Windows already holding ``usage`` (some as missing keys, which count as 0)."""
    client = backend.client
    if usage.requests or usage.images:
        client.hset(
            backend.key(key_id, W.minute),
            mapping={"requests": usage.requests, "images": usage.images},
        )
    for window, spend in ((W.day, usage.day_spend), (W.month, usage.month_spend)):
        if spend:
            client.hset(backend.key(key_id, window), "spend", spend)


def test_the_lua_script_decides_as_decide_does(redis_backend):
    store = redis_backend.store
    cases = LUA_CASES + random_cases(600)
    for number, (limits, usage, n, estimate) in enumerate(cases):
        key_id = f"ak_lua_{number}"
        prime(redis_backend, key_id, usage)
        expected = decide(limits, usage, n, estimate, W, NOW)
        code, seen = store.run_reserve(key_id, limits, n, estimate, W)
        case = (number, limits, usage, n, estimate)
        assert seen == usage, case
        assert code == (expected.code if expected else None), case
        after = redis_backend.usage(key_id, NOW)
        if expected is None:  # admitted and counted in each window
            grown = Usage(
                usage.requests + 1,
                usage.images + n,
                usage.day_spend + estimate,
                usage.month_spend + estimate,
            )
            assert after == grown, case
        else:  # refused: nothing written
            assert after == usage, case


def test_the_redis_store_answers_with_the_refusal_of_decide(redis_backend):
    for number, (limits, usage, n, estimate) in enumerate(LUA_CASES):
        key_id = f"ak_answer_{number}"
        prime(redis_backend, key_id, usage)
        expected = decide(limits, usage, n, estimate, W, NOW)
        if expected is None:
            assert redis_backend.store.reserve(key_id, limits, n, estimate, NOW).key_id == key_id
            continue
        with pytest.raises(LimitExceeded) as refused:
            redis_backend.store.reserve(key_id, limits, n, estimate, NOW)
        assert refused.value.to_body() == expected.to_body()
        assert refused.value.response_headers() == expected.response_headers()


def test_a_settlement_does_not_bring_back_an_expired_window(redis_backend):
    store = redis_backend.store
    hold = store.reserve(KEY, Limits(daily_micro_usd=100_000), 1, 40_000, NOW)
    redis_backend.client.delete(redis_backend.key(KEY, W.day))  # expired meanwhile
    store.settle(hold, 0)
    assert redis_backend.windows_of(KEY) == ["minute:2036-11-26T03:30", "month:2036-11"]
    assert redis_backend.usage(KEY, NOW) == Usage(1, 1, 0, 0)


def test_a_window_that_is_not_a_number_refuses_and_writes_nothing(redis_backend):
    redis_backend.client.hset(redis_backend.key(KEY, W.month), "spend", "lots")
    with pytest.raises(LimitsUnavailable):
        redis_backend.store.reserve(KEY, Limits(rpm=5), 1, 0, NOW)
    assert redis_backend.windows_of(KEY) == ["month:2036-11"]


def test_a_forked_process_gets_its_own_pool(redis_backend):
    store = redis_backend.store
    store.reserve(KEY, Limits(rpm=9), 1, 0, NOW)
    parent = store._get()
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()

    def child() -> None:
        mine = store._get()
        results.put((mine.pid, mine.redis.connection_pool is parent.redis.connection_pool))

    process = ctx.Process(target=child)
    process.start()
    pid, shared = results.get(timeout=30)
    process.join(timeout=30)
    assert (pid, shared) == (process.pid, False)
    assert store._get() is parent


# The choice of store, and a store that is down.


def test_redis_is_the_store_when_its_url_is_set(tmp_path):
    database = database_for("", str(tmp_path))
    assert isinstance(open_usage(None, database), DatabaseUsageStore)
    assert isinstance(open_usage("", database), DatabaseUsageStore)
    chosen = open_usage("redis://127.0.0.1:6379/0", database)
    assert isinstance(chosen, RedisUsageStore)
    assert chosen.url == "redis://127.0.0.1:6379/0"


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["redis", "postgresql"])
def down_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[Any, int]]:
    """A store whose server does not answer: nothing listens on its port."""
    port = unused_port()
    if request.param == "redis":
        store = RedisUsageStore(f"redis://:s3cret@127.0.0.1:{port}/0")
        yield store, port
        store.close()
    else:
        database = database_for(f"postgresql://gw:s3cret@127.0.0.1:{port}/gw", str(tmp_path))
        yield DatabaseUsageStore(database), port
        database.dispose()


def test_a_store_that_is_down_refuses_with_a_503_and_names_no_url(down_store, caplog):
    store, port = down_store
    started = time.monotonic()
    with pytest.raises(LimitsUnavailable) as refused:
        store.reserve(KEY, Limits(rpm=100), 1, 0, NOW)
    assert time.monotonic() - started < 5
    answer = refused.value
    assert (answer.status, answer.type, answer.code) == (503, "server_error", "limits_unavailable")
    assert "limit store is unreachable" in answer.message
    body = answer.to_json().decode()
    for secret in (str(port), "s3cret", "127.0.0.1", "redis", "postgresql"):
        assert secret not in body
    assert f"usage store: cannot check the limits of key {KEY}" in caplog.text
    assert "s3cret" not in caplog.text


def test_a_settlement_the_store_cannot_take_is_logged_with_the_key_and_amount(down_store, caplog):
    store, _ = down_store
    store.settle(Hold(KEY, "day:2036-11-26", "month:2036-11", 80_000), 30_000)  # never raises
    assert (
        f"usage store: spend of key {KEY} not settled: add -50000 micro-USD to windows "
        "day:2036-11-26 and month:2036-11 (actual cost 30000, estimate 80000)"
    ) in caplog.text
    assert "s3cret" not in caplog.text
