"""``gateway db copy``: a SQLite store with rows in every table, copied to PostgreSQL and
verified row by row; refusals; and a difference being found."""

from __future__ import annotations

import math
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import BigInteger, LargeBinary, delete, func, select, update

from gateway.cli import main
from gateway.request_log import RequestLog
from gateway.store import copy as store_copy
from gateway.store.database import Database
from gateway.store.engine import database_url
from gateway.store.tables import metadata, request_log, shared_secrets
from tests import store_fixtures
from tests.factories import MASTER_KEY_1
from tests.store_fixtures import with_password

pg_case = store_fixtures.pg_case
postgres_server = store_fixtures.postgres_server

# Floats a copy must keep bit for bit (PostgreSQL prints float8 in its shortest exact form).
FLOATS = (0.1 + 0.2, 1_700_000_000.123456, -0.0, 5e-324, 1.7976931348623157e308, math.inf)
# Text keys whose order differs between code points and a locale's collation.
KEYS = ("B", "a", "Z", "é", "a b", "ä", "ß")
BIG = 2**62 + 7


def value(column, i: int):
    """Column ``column``'s value in the ``i``-th seeded row (keys unique per row)."""
    if isinstance(column.type, LargeBinary):
        return bytes(range(i, i + 64)) + b"\x00\xff"
    kind = column.type.python_type
    if kind is str:
        if column.primary_key:
            return KEYS[i] if len(column.table.primary_key.columns) == 1 else f"{KEYS[i]}-{i}"
        return f"{column.name} {i}: ünïcode ✓ \t 'quoted' \"double\""
    if kind is int:
        if column.primary_key:
            return i + 1
        return BIG - i if isinstance(column.type, BigInteger) else 2**31 - 1 - i
    if kind is float:
        return FLOATS[i % len(FLOATS)]
    raise AssertionError(f"no seed for {column.table.name}.{column.name} ({kind})")


def seed(database: Database) -> None:
    """Rows in every table: the request log through its writer, the rest directly."""
    log = RequestLog(database)
    for i in range(len(KEYS)):
        row = {c.name: value(c, i) for c in request_log.columns if c.name != "id"}
        log.record(row, [{"request_id": f"req-{i}", "seq": 0, "created_at": FLOATS[i % 6]}])
    assert log.flush()
    assert log.lost == 0
    with database.write() as connection:
        for table in store_copy.tables():
            if table.name in {"request_log", "request_attempts"}:
                continue
            connection.execute(
                table.insert(),
                [{c.name: value(c, i) for c in table.columns} for i in range(len(KEYS))],
            )
        # And a row of NULLs wherever a column allows one.
        connection.execute(
            request_log.insert(),
            [{"created_at": 1.0, "request_id": "n", "trace_id": "n", "status": 0, "latency_ms": 0}],
        )


@pytest.fixture
def source(tmp_path, monkeypatch):
    """The default SQLite store of GATEWAY_DATA_DIR, migrated and seeded."""
    data = tmp_path / "data"
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(data))
    database = Database(database_url({"GATEWAY_DATA_DIR": str(data)}), data_dir=str(data))
    database.migrate()
    seed(database)
    yield database
    database.dispose()


def counts(database: Database) -> dict[str, int]:
    with database.read() as connection:
        return {
            t.name: connection.scalar(select(func.count()).select_from(t))
            for t in store_copy.tables()
        }


def copy(monkeypatch, url: str, *extra: str):
    monkeypatch.setenv("TARGET_DB", url)
    monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)
    return CliRunner().invoke(main, ["db", "copy", "--to-env", "TARGET_DB", *extra])


def test_sqlite_to_postgresql_copies_every_table_and_verifies_it(source, pg_case, monkeypatch):
    expected = counts(source)
    assert set(expected) == set(metadata.tables) - store_copy.NOT_COPIED
    assert all(expected.values()), expected  # every table has rows to copy
    out = copy(monkeypatch, with_password(pg_case.env_url, "s3cret-pw"))
    assert out.exit_code == 0, out.output
    assert "s3cret" not in out.output
    lines = [line.split() for line in out.stdout.splitlines()]
    assert lines[0] == ["table", "source_rows", "target_rows", "result"]
    assert {line[0]: (int(line[1]), int(line[2]), line[3]) for line in lines[1:]} == {
        name: (n, n, "ok") for name, n in expected.items()
    }
    assert out.stderr.splitlines()[-1] == (
        f"copied and verified {sum(expected.values())} rows in {len(expected)} tables"
    )
    target = pg_case.database
    assert counts(target) == expected
    # Same rows, same types, floats bit for bit, checked here independently of verify().
    for table in store_copy.tables():
        order = store_copy.key_order(table, "sqlite")
        with source.read() as a:
            left = [tuple(r) for r in a.execute(select(table).order_by(*order))]
        with target.read() as b:
            pg_order = store_copy.key_order(table, "postgresql")
            right = [tuple(r) for r in b.execute(select(table).order_by(*pg_order))]
        assert len(left) == len(right)
        for x, y in zip(left, right, strict=True):
            assert all(map(store_copy.same, x, y)), (table.name, x, y)
    # The sequence moved past the copied ids: the next request row follows them.
    log = RequestLog(target)
    log.record({"created_at": 2.0, "request_id": "new", "trace_id": "new", "status": 200,
                "latency_ms": 1.0, "bytes_out": 0})  # fmt: skip
    assert log.flush()
    with target.read() as connection:
        newest = connection.execute(
            select(request_log.c.id, request_log.c.request_id).order_by(request_log.c.id.desc())
        ).first()
    assert tuple(newest) == (expected["request_log"] + 1, "new")
    # The data directory's pepper, URL-signing and cache keys, sealed in the target.
    with target.read() as connection:
        names = connection.execute(select(shared_secrets.c.name)).scalars().all()
    assert sorted(names) == ["cache_key", "pepper", "url_signing_key"]


def test_postgresql_needs_the_master_key_before_anything_is_copied(source, pg_case, monkeypatch):
    monkeypatch.setenv("TARGET_DB", pg_case.env_url)
    monkeypatch.delenv("GATEWAY_MASTER_KEY", raising=False)
    out = CliRunner().invoke(main, ["db", "copy", "--to-env", "TARGET_DB"])
    assert out.exit_code == 1
    assert "set GATEWAY_MASTER_KEY first" in out.stderr
    assert counts(pg_case.database) == dict.fromkeys(counts(pg_case.database), 0)


def test_a_target_with_rows_is_refused(source, pg_case, monkeypatch):
    assert copy(monkeypatch, pg_case.env_url).exit_code == 0
    out = copy(monkeypatch, pg_case.env_url)
    assert out.exit_code == 1
    assert "Error: the target already holds rows: " in out.stderr
    assert f"request_log ({counts(source)['request_log'] + 0} rows)" in out.stderr
    assert counts(pg_case.database) == counts(source)  # nothing added


def test_the_target_url_never_needs_the_command_line(source, pg_case, monkeypatch):
    monkeypatch.setenv("GATEWAY_MASTER_KEY", MASTER_KEY_1)
    runner = CliRunner()
    out = runner.invoke(main, ["db", "copy", "--to", with_password(pg_case.env_url, "pw")])
    assert out.exit_code == 2
    assert "the URL holds a password" in out.output
    assert all(n == 0 for n in counts(pg_case.database).values())
    assert runner.invoke(main, ["db", "copy"]).exit_code == 2
    out = runner.invoke(main, ["db", "copy", "--to-env", "NO_SUCH_VARIABLE"])
    assert "the variable NO_SUCH_VARIABLE is not set or empty" in out.output
    help_text = runner.invoke(main, ["db", "copy", "--help"]).output
    assert "--to-env VAR" in help_text
    assert "WITHOUT a password" in help_text
    # A URL without a password is fine on the command line; so is one on stdin.
    out = runner.invoke(main, ["db", "copy", "--to", "-"], input=pg_case.env_url + "\n")
    assert out.exit_code == 0, out.output


def test_a_difference_is_found_and_exits_non_zero(source, pg_case, monkeypatch):
    real = store_copy._write

    def corrupting(connection, table, insert, batch):
        if table.name == "request_log":
            batch = [dict(row) for row in batch]
            batch[2]["latency_ms"] = math.nextafter(batch[2]["latency_ms"], math.inf)
        return real(connection, table, insert, batch)

    monkeypatch.setattr(store_copy, "_write", corrupting)
    out = copy(monkeypatch, pg_case.env_url)
    assert out.exit_code == 1
    summary = {line.split()[0]: line.split()[3:] for line in out.stdout.splitlines()[1:]}
    assert summary["request_log"] == ["MISMATCH", "1", "different"]
    assert summary["api_keys"] == ["ok"]
    assert "  request_log: id=3 differs in latency_ms" in out.stderr
    assert out.stderr.splitlines()[-1] == "Error: the copy differs from the source in: request_log"


def test_verify_counts_missing_extra_and_different_rows(source, pg_case, monkeypatch):
    assert copy(monkeypatch, pg_case.env_url).exit_code == 0
    target = pg_case.database
    configs = metadata.tables["configs"]
    with target.write() as connection:
        connection.execute(delete(request_log).where(request_log.c.id == 2))
        connection.execute(
            update(request_log).where(request_log.c.id == 5).values(prompt="edited", n=None)
        )
        connection.execute(
            configs.insert(),
            {"name": "zz", "version": 1, "body": "{}", "created_at": 1.0},
        )
        connection.execute(update(configs).where(configs.c.name == "a-1").values(created_at=-0.0))
    by_table = {r.table: r for r in store_copy.verify(source, target)}
    log = by_table["request_log"]
    assert (log.source_rows, log.target_rows, log.missing, log.extra, log.different) == (
        8, 7, 1, 0, 1,
    )  # fmt: skip
    assert log.examples == ["id=2 missing in the target", "id=5 differs in n, prompt"]
    cfg = by_table["configs"]
    assert (cfg.missing, cfg.extra, cfg.different) == (0, 1, 1)
    assert cfg.examples == [
        "name='a-1', version=2 differs in created_at",
        "name='zz', version=1 only in the target",
    ]
    assert [r.table for r in by_table.values() if not r.ok] == ["configs", "request_log"]


def test_same_is_exact():
    assert store_copy.same(0.1 + 0.2, 0.30000000000000004)
    assert not store_copy.same(0.1 + 0.2, 0.3)
    assert not store_copy.same(0.0, -0.0)
    assert not store_copy.same(1, 1.0)
    assert store_copy.same(math.nan, math.nan)
    assert store_copy.same(None, None)
    assert not store_copy.same("a", b"a")


def test_a_missing_source_is_refused_without_creating_it(tmp_path, pg_case, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "none"))
    out = copy(monkeypatch, pg_case.env_url)
    assert out.exit_code == 1
    assert f"nothing to copy: no SQLite store at {tmp_path}/none/gateway.db" in out.stderr
    assert not os.path.exists(tmp_path / "none")
