"""The PostgreSQL and Redis servers the store tests run against, or a skip with the reason.

Defaults: PostgreSQL at ``127.0.0.1:5432``, database ``test``, trust auth as the OS user
or ``postgres``; Redis at ``127.0.0.1:6379``. ``GATEWAY_TEST_POSTGRES_URL`` and
``GATEWAY_TEST_REDIS_URL`` override them. A server that does not answer skips the test,
except under CI (``CI=true``), where it fails it: CI must never pass by skipping.

The overrides are also read once at import, because ``tests/conftest.py`` removes every
``GATEWAY_*`` variable from each test's environment.
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

POSTGRES_ENV = "GATEWAY_TEST_POSTGRES_URL"
REDIS_ENV = "GATEWAY_TEST_REDIS_URL"
_AT_IMPORT = {name: os.environ.get(name) for name in (POSTGRES_ENV, REDIS_ENV)}
_TIMEOUT = 3


def _override(name: str) -> str | None:
    return os.environ.get(name) or _AT_IMPORT.get(name)


def unavailable(message: str) -> NoReturn:
    """Skip, or fail under CI, where a missing server is a broken pipeline."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: store tests must run, not skip)", pytrace=False)
    pytest.skip(message)


def libpq(url: str) -> str:
    """The URL without SQLAlchemy's driver suffix, as psycopg itself takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_url() -> str:
    """A ``postgresql://`` URL of a database that answers ``SELECT 1``, or skip/fail."""
    override = _override(POSTGRES_ENV)
    if override:
        candidates = [override]
    else:
        users = dict.fromkeys([getpass.getuser(), "postgres"])
        candidates = [f"postgresql://{user}@127.0.0.1:5432/test" for user in users]
    errors = []
    for url in candidates:
        try:
            with psycopg.connect(libpq(url), connect_timeout=_TIMEOUT) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            errors.append(f"{make_url(url).username}: {' '.join(str(exc).split())}")
            continue
        return url
    where = "at 127.0.0.1:5432" if not override else f"at {POSTGRES_ENV}"
    unavailable(f"PostgreSQL not reachable {where}: {'; '.join(errors)}")


def redis_url() -> str:
    """A ``redis://`` URL of a server that answers ``PING``, or skip/fail."""
    url = _override(REDIS_ENV) or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT)
    try:
        client.ping()
    except redis.RedisError as exc:
        where = "at 127.0.0.1:6379" if not _override(REDIS_ENV) else f"at {REDIS_ENV}"
        unavailable(f"Redis not reachable {where}: {exc}")
    finally:
        client.close()
    return url


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server, dropped afterwards.

    Each test gets its own, so parallel runs (and parallel CI jobs on one server) never
    see each other's tables. Yields the database's ``postgresql://`` URL.
    """
    name = f"gw_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    admin = libpq(server_url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=_TIMEOUT) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.InsufficientPrivilege as exc:
        unavailable(f"PostgreSQL user {make_url(admin).username} cannot create databases: {exc}")
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=_TIMEOUT) as conn:
            # FORCE (PostgreSQL 13+): a connection a failed test left open must not keep it.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
