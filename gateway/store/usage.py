"""Rate-limit and budget windows in the ``usage_windows`` table, on SQLite or PostgreSQL.

:class:`DatabaseUsageStore` is the :class:`gateway.limits.UsageStore` of the store:
exact across workers and instances, because each reservation is ONE transaction:

1. insert the key's three window rows (minute, day, month) if they are missing
   (``INSERT ... ON CONFLICT DO NOTHING``), so that there is always a row to lock;
2. read and lock them (``SELECT ... ORDER BY window FOR UPDATE``);
3. decide with the pure :func:`gateway.limits.decide`;
4. add the request to the three rows (one ``UPDATE``), or roll back on a refusal;
5. delete expired windows that no one holds (``FOR UPDATE SKIP LOCKED``), and commit.

On SQLite, :meth:`Database.write` starts with ``BEGIN IMMEDIATE``: one writer at a
time, and ``FOR UPDATE``/``SKIP LOCKED`` are left out by SQLAlchemy's SQLite compiler.
On PostgreSQL, under READ COMMITTED, the row locks serialise the reservations of one
key and nothing else: a second reservation waits at step 1 (a row being inserted) or
step 2 (a row locked) and then reads the committed counts, so no serialisation failure
can happen. Every transaction takes the rows of one key, in the same order (sorted
window names, step 1 in that order too) and the cleanup never waits, so no deadlock
either. A settlement locks its two rows in that same order.

Any database error becomes :class:`gateway.limits.LimitsUnavailable` (503) after a
rollback: nothing is half-written, and no request is admitted unchecked.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, bindparam, case, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..limits import Hold, Limits, LimitsUnavailable, UsageStore, decide, usage_of, windows
from .database import Database
from .health import reason
from .tables import usage_windows as uw

log = logging.getLogger("gateway.limits")

#: Expired windows deleted per reservation at most (the index makes finding them cheap).
CLEANUP_BATCH = 500

# The statements are built once: building and coercing Core expressions for every
# reservation cost more than running them on SQLite. Bound parameters: the key, its three
# windows in lock order (w0 < w1 < w2) and when each ends (e0, e1, e2).
_KEY = uw.c.key_id == bindparam("key")
_MINE = (_KEY, uw.c.window.in_([bindparam("w0"), bindparam("w1"), bindparam("w2")]))
_NEW_ROWS = [
    {"key_id": bindparam("key"), "window": bindparam(f"w{i}"), "expires_at": bindparam(f"e{i}")}
    for i in range(3)
]
# INSERT ... ON CONFLICT DO NOTHING, in each dialect's construct: rows in lock order.
_INSERT = {
    dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(uw)
    .values(_NEW_ROWS)
    .on_conflict_do_nothing()
    for dialect in (postgresql, sqlite)
}
_LOCK = (
    select(uw.c.window, uw.c.requests, uw.c.images, uw.c.spend_micro_usd)
    .where(*_MINE)
    .order_by(uw.c.window)
    .with_for_update()  # SQLite: left out (BEGIN IMMEDIATE holds the whole database)
)
_ADD = (
    update(uw)
    .where(*_MINE)
    .values(
        requests=uw.c.requests + 1,
        images=uw.c.images + bindparam("n"),
        spend_micro_usd=uw.c.spend_micro_usd + bindparam("estimate"),
    )
)
_SPENT = uw.c.spend_micro_usd + bindparam("delta")
_SETTLE = (
    update(uw)
    .where(_KEY, uw.c.window == bindparam("name"))
    .values(spend_micro_usd=case((_SPENT < 0, 0), else_=_SPENT))
)
_EXPIRED = uw.alias("expired")
_DELETE_EXPIRED = uw.delete().where(
    tuple_(uw.c.key_id, uw.c.window).in_(
        select(_EXPIRED.c.key_id, _EXPIRED.c.window)
        .where(_EXPIRED.c.expires_at <= bindparam("now"))
        .limit(CLEANUP_BATCH)
        .with_for_update(skip_locked=True)  # never waits for a row another one holds
    )
)


def insert_missing(connection: Connection, params: dict[str, object]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect (PostgreSQL's or
    SQLite's construct, chosen by name; the only place that tells them apart)."""
    connection.execute(_INSERT[connection.dialect.name], params)


class DatabaseUsageStore:
    """Windows in ``usage_windows``, through the app's :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def reserve(self, key_id: str, limits: Limits, n: int, estimate: int, now: float) -> Hold:
        if not limits.any():  # no write transaction for keys without limits
            return Hold()
        w = windows(now)
        ends = {w.minute: w.minute_ends, w.day: w.day_ends, w.month: w.month_ends}
        params: dict[str, object] = {"key": key_id}
        for i, name in enumerate(sorted(ends)):  # the one lock order: day, minute, month
            params[f"w{i}"], params[f"e{i}"] = name, ends[name]
        try:
            with self.database.write() as connection:
                insert_missing(connection, params)
                found = connection.execute(_LOCK, params)
                usage = usage_of({r[0]: (r[1], r[2], r[3]) for r in found}, w)
                refusal = decide(limits, usage, n, estimate, w, now)
                if refusal is not None:
                    raise refusal  # rolls back: a refused request leaves nothing behind
                connection.execute(_ADD, {**params, "n": n, "estimate": estimate})
                _delete_expired(connection, now)
        except (SQLAlchemyError, OSError) as exc:
            log.error("usage store: cannot check the limits of key %s: %s", key_id, reason(exc))
            raise LimitsUnavailable() from None
        return Hold(key_id, w.day, w.month, estimate)

    def settle(self, hold: Hold, spent: int) -> None:
        if hold.key_id is None or spent == hold.estimate:
            return
        delta = spent - hold.estimate
        try:
            with self.database.write() as connection:
                for name in sorted((hold.day, hold.month)):  # the reservation's lock order
                    connection.execute(_SETTLE, {"key": hold.key_id, "name": name, "delta": delta})
        except (SQLAlchemyError, OSError) as exc:  # the answer is on its way: log, never fail it
            log_unsettled(hold, spent, reason(exc))


def open_usage(redis_url: str | None, database: Database) -> UsageStore:
    """The store of the limits: Redis when ``GATEWAY_REDIS_URL`` is set, else the database."""
    if redis_url:
        from .redis_usage import RedisUsageStore

        return RedisUsageStore(redis_url)
    return DatabaseUsageStore(database)


def log_unsettled(hold: Hold, spent: int, reason: str) -> None:
    """A settlement that failed, with what an operator needs to apply it by hand."""
    log.error(
        "usage store: spend of key %s not settled: add %d micro-USD to windows %s and %s "
        "(actual cost %d, estimate %d): %s",
        hold.key_id,
        spent - hold.estimate,
        hold.day,
        hold.month,
        spent,
        hold.estimate,
        reason,
    )


def _delete_expired(connection: Connection, now: float) -> None:
    """Delete expired windows, skipping rows another transaction holds: never waits."""
    connection.execute(_DELETE_EXPIRED, {"now": now})
