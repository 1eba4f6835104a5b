"""``gateway usage``'s SQL: requests, errors, images, cache hits and spend per UTC day and
team, from the request log, on SQLite and PostgreSQL.

The UTC day is the one expression the two engines spell differently (:class:`utc_day`);
everything else is SQLAlchemy Core. Sums come back as Python ints on both engines
(PostgreSQL's ``SUM`` of a ``BIGINT`` is a ``NUMERIC``), and teams sort by code point
on both (PostgreSQL's default collation would follow the locale).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .database import Database
from .tables import request_log

#: The integer columns of a report row (``day`` and ``team`` are text).
COUNTS = ("requests", "errors", "images", "cache_hits", "spend_micro_usd", "unpriced")


class utc_day(FunctionElement[str]):
    """``YYYY-MM-DD`` of an epoch-seconds column, in UTC. No bound parameter: the
    expression must render identically in the select list and the GROUP BY."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'unixepoch')"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(to_timestamp({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def report(database: Database, since: float, team: str | None = None) -> list[dict[str, Any]]:
    """One row per (UTC day, team) from ``since``, oldest day first, the no-team row last
    in its day; ``team`` None: every team. Spend in micro-USD (``spend_micro_usd``);
    ``unpriced`` counts successes without a known cost."""
    c = request_log.c
    day = utc_day(c.created_at).label("day")
    team_order = c.team
    if not database.is_sqlite:
        team_order = c.team.collate("C")
    statement = (
        select(
            day,
            c.team,
            func.count().label("requests"),
            _count(c.status >= 400).label("errors"),
            func.coalesce(func.sum(c.images), 0).label("images"),
            _count(c.cache_status == "HIT").label("cache_hits"),
            func.coalesce(func.sum(c.cost_micro_usd), 0).label("spend_micro_usd"),
            _count(c.status.between(200, 299) & c.cost_micro_usd.is_(None)).label("unpriced"),
        )
        .where(c.created_at >= float(since))
        .group_by(day, c.team)
        .order_by(day, c.team.is_(None), team_order)
    )
    if team is not None:
        statement = statement.where(c.team == team)
    with database.read() as connection:
        rows = [dict(row) for row in connection.execute(statement).mappings()]
    for row in rows:
        for name in COUNTS:
            row[name] = int(row[name])
    return rows
