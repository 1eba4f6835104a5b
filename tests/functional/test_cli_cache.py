"""``gateway cache stats`` and ``gateway cache clear`` against a store the test fills."""

from __future__ import annotations

import json
import sqlite3
import time

from click.testing import CliRunner

from gateway.cache.store import CachedImage, CacheStore, Entry, Meta
from gateway.cli import main
from gateway.store.database import Database
from gateway.store.engine import database_url

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 1000


def fill(data_dir, now: float) -> CacheStore:
    database = Database(database_url({"GATEWAY_DATA_DIR": str(data_dir)}), data_dir=str(data_dir))
    database.migrate()
    store = CacheStore(database, data_dir / "cache", 1 << 30, clock=lambda: now)
    meta = Meta("design", "openai", "dall-e-3")
    store.put("fresh", meta, Entry(1, (CachedImage(PNG, "image/png"),)), max_age=3600)
    store.put("stale", meta, Entry(1, (CachedImage(PNG[:-1], "image/png"),)), max_age=1)
    store.get("fresh", max_age=3600)
    store.close()
    database.dispose()
    return store


def test_stats_as_json_and_as_a_table(data_dir):
    fill(data_dir, time.time() - 10)
    out = CliRunner().invoke(main, ["cache", "stats", "--json"])
    assert out.exit_code == 0, out.output
    stats = json.loads(out.stdout)
    assert {k: stats[k] for k in ("entries", "expired", "bytes", "hits", "files")} == {
        "entries": 2,
        "expired": 1,
        "bytes": 2015,
        "hits": 1,
        "files": 2,
    }
    assert stats["file_bytes"] == 2015
    assert stats["budget_bytes"] == 1024 << 20
    table = CliRunner().invoke(main, ["cache", "stats"]).stdout.splitlines()
    assert table[0].split() == ["cache", "value"]
    assert table[1].split() == ["entries", "2", "(1", "expired)"]
    assert table[2].split() == ["bytes", "0.0", "MB", "of", "1024.0", "MB", "(0.0", "%)"]
    assert table[4].split() == ["hits", "1"]


def test_clear_expired_then_everything(data_dir):
    fill(data_dir, time.time() - 10)
    out = CliRunner().invoke(main, ["cache", "clear", "--expired"])
    assert (out.exit_code, out.stdout) == (0, "removed 1 expired entry\n")
    assert len(list((data_dir / "cache").iterdir())) == 1
    out = CliRunner().invoke(main, ["cache", "clear"])
    assert (out.exit_code, out.stdout) == (0, "removed 1 entry\n")
    assert list((data_dir / "cache").iterdir()) == []
    out = CliRunner().invoke(main, ["cache", "clear"])
    assert out.stdout == "removed 0 entries\n"


def test_a_bad_setting_is_a_clean_error(data_dir, monkeypatch):
    monkeypatch.setenv("GATEWAY_CACHE_MAX_MB", "0")
    out = CliRunner().invoke(main, ["cache", "stats"])
    assert out.exit_code == 1
    assert "GATEWAY_CACHE_MAX_MB: invalid value (must be between 1 and 1048576)" in out.output


def test_a_corrupt_row_never_ends_in_a_traceback(data_dir):
    store = fill(data_dir, time.time() - 10)
    conn = sqlite3.connect(store.database.sqlite_path)
    with conn:
        conn.execute(
            "INSERT INTO cache_entries (key, provider, created_at, expires_at, last_used_at, "
            "size_bytes, entry) VALUES ('broken', 'openai', 1, 2, 1, 10, '{not json')"
        )
    conn.close()
    out = CliRunner().invoke(main, ["cache", "clear", "--expired"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    assert (out.exit_code, out.stdout) == (0, "removed 2 expired entries\n")
    out = CliRunner().invoke(main, ["cache", "stats", "--json"])
    assert (out.exit_code, json.loads(out.stdout)["entries"]) == (0, 1)


def test_a_value_error_is_a_clean_error(data_dir, monkeypatch):
    fill(data_dir, time.time() - 10)

    def broken(self):
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    monkeypatch.setattr(CacheStore, "stats", broken)
    monkeypatch.setattr(CacheStore, "clear", broken)
    for command in (["cache", "stats"], ["cache", "clear"]):
        out = CliRunner().invoke(main, command)
        assert out.exit_code == 1
        assert isinstance(out.exception, SystemExit), out.exception
        assert "Error: cannot" in out.output
        assert "Expecting value" in out.output
