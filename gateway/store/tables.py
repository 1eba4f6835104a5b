"""Every table of the store, as SQLAlchemy Core metadata, for SQLite and PostgreSQL.

The schema is the one the old migrations 1 to 4 (``legacy.py``) build, with the same
table, column and index names and the same column order, so SQL written against the
SQLite store keeps working. Types are spelled so that SQLite gets exactly the declared
types it had (``INTEGER``, ``REAL``, ``TEXT``) and PostgreSQL gets types of the same
range: 64-bit integers where values can pass 2**31 (row ids, micro-dollars, bytes) and
``DOUBLE PRECISION`` for the epoch-second timestamps and latencies.

Constraints are deliberately unnamed (no ``naming_convention``): a store adopted from
the old migrations has unnamed ``PRIMARY KEY`` and ``UNIQUE`` constraints, and a fresh
SQLite store must not differ from it. PostgreSQL names them by its own rule
(``api_keys_pkey``, ``api_keys_digest_key``), so a later migration can still drop them by
name there; on SQLite, Alembic's batch mode rebuilds the table instead.

Changing anything here needs a new revision in ``migrations/versions``;
``tests/unit/store`` fails while the two disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import sqlite

#: A 64-bit integer: BIGINT on PostgreSQL, INTEGER on SQLite, whose INTEGER is 64-bit
#: already and where only a column declared exactly ``INTEGER`` aliases the rowid.
Int64 = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
#: Epoch seconds and milliseconds: DOUBLE PRECISION on PostgreSQL, REAL on SQLite.
Float64 = Double().with_variant(sqlite.REAL(), "sqlite")
ZERO = text("0")

metadata = MetaData()

request_log = Table(
    "request_log",
    metadata,
    Column("id", Int64, primary_key=True, autoincrement=True),
    Column("created_at", Float64, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("trace_id", Text, nullable=False),
    Column("provider", Text),
    Column("model", Text),
    Column("n", Integer),
    Column("size", Text),
    Column("quality", Text),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float64, nullable=False),
    Column("upstream_latency_ms", Float64),
    Column("error_code", Text),
    Column("bytes_out", Int64, nullable=False, server_default=ZERO),
    Column("metadata", Text),
    Column("prompt", Text),
    Column("target", Text),
    Column("client_ip", Text),
    Column("team", Text),
    Column("virtual_key", Text),
    Column("config_name", Text),
    Column("config_version", Integer),
    Column("api_key_id", Text),
    Column("cache_status", Text),
    Column("images", Integer),
    Column("cost_micro_usd", Int64),
    Column("operation", Text),  # generations, edits, variations (0003)
    Column("uploads", Text),  # JSON: each input file's hash, size, format, dimensions
    Index("request_log_trace", "trace_id"),
    Index("request_log_time", "created_at"),
    Index("request_log_status", "status", "created_at"),
    Index("request_log_team_time", "team", "created_at"),
)

# Gateway API keys keep only an HMAC of the key (gateway.credentials).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("digest", Text, nullable=False, unique=True),
    Column("hint", Text, nullable=False),
    Column("created_at", Float64, nullable=False),
    Column("last_used_at", Float64),
    Column("revoked_at", Float64),
    Column("limit_rpm", Integer),
    Column("limit_ipm", Integer),
    Column("limit_daily_micro_usd", Int64),
    Column("limit_monthly_micro_usd", Int64),
    Index("api_keys_name", "name"),
)

# Provider secrets are Fernet tokens bound to their row (gateway.credentials).
virtual_keys = Table(
    "virtual_keys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("provider", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("hint", Text, nullable=False),
    Column("base_url", Text),
    Column("fields", Text, nullable=False),
    Column("teams", Text, nullable=False),
    Column("disabled_at", Float64),
    Column("created_at", Float64, nullable=False),
    Column("updated_at", Float64, nullable=False),
)

# Versioned and soft-deleted, so a (name, version) in the request log never names two bodies.
configs = Table(
    "configs",
    metadata,
    Column("name", Text, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float64, nullable=False),
    Column("deleted_at", Float64),
)

request_attempts = Table(
    "request_attempts",
    metadata,
    Column("id", Int64, primary_key=True, autoincrement=True),
    Column("request_id", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("target_path", Text),
    Column("provider", Text),
    Column("status", Integer),
    Column("failure", Text),
    Column("latency_ms", Float64),
    Column("skip_reason", Text),
    Column("created_at", Float64, nullable=False),
    Index("request_attempts_request", "request_id", "seq"),
    Index("request_attempts_time", "created_at"),
)

# "window" is a reserved word in PostgreSQL: SQLAlchemy quotes it; hand-written SQL must too.
usage_windows = Table(
    "usage_windows",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("window", Text, primary_key=True),
    Column("requests", Integer, nullable=False, server_default=ZERO),
    Column("images", Integer, nullable=False, server_default=ZERO),
    Column("spend_micro_usd", Int64, nullable=False, server_default=ZERO),
    Column("expires_at", Float64, nullable=False),
    Index("usage_windows_expiry", "expires_at"),
)

cache_entries = Table(
    "cache_entries",
    metadata,
    Column("key", Text, primary_key=True),
    Column("team", Text),
    Column("provider", Text, nullable=False),
    Column("model", Text),
    Column("created_at", Float64, nullable=False),
    Column("expires_at", Float64, nullable=False),
    Column("last_used_at", Float64, nullable=False),
    Column("hits", Integer, nullable=False, server_default=ZERO),
    Column("size_bytes", Int64, nullable=False),
    Column("entry", Text, nullable=False),
    Index("cache_entries_lru", "last_used_at"),
    Index("cache_entries_expiry", "expires_at"),
)

# Bytes every instance must read when the store is PostgreSQL (gateway.store.blobs):
# hosted images (kind "image") and cached images' base64 text (kind "cache"). On SQLite
# they stay files in the data directory and this table stays empty.
blobs = Table(
    "blobs",
    metadata,
    Column("kind", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("size_bytes", Int64, nullable=False),
    Column("created_at", Float64, nullable=False),
    Column("expires_at", Float64, nullable=False),
    Index("blobs_expiry", "kind", "expires_at"),
)

# Secrets every instance shares (pepper, URL-signing key, cache key), as Fernet tokens
# under the master key (gateway.store.secrets); used with PostgreSQL only.
shared_secrets = Table(
    "secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", Float64, nullable=False),
)
