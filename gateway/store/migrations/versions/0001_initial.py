"""The initial schema: what the old migrations 1 to 4 (legacy.py) built, on SQLite and PostgreSQL.

A SQLite store made by those migrations is stamped with this revision instead of
running it (gateway.store.migrate). The types are written out here, not imported from
gateway/store/tables.py, so that this revision stays what it was when tables.py changes.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import sqlite

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# BIGINT / DOUBLE PRECISION on PostgreSQL; exactly INTEGER / REAL on SQLite, as before.
INT64 = sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
FLOAT64 = sa.Double().with_variant(sqlite.REAL(), "sqlite")
ZERO = sa.text("0")


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("id", INT64, autoincrement=True, nullable=False),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("size", sa.Text(), nullable=True),
        sa.Column("quality", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", FLOAT64, nullable=False),
        sa.Column("upstream_latency_ms", FLOAT64, nullable=True),
        sa.Column("error_code", sa.Text(), nullable=True),
        sa.Column("bytes_out", INT64, server_default=ZERO, nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("client_ip", sa.Text(), nullable=True),
        sa.Column("team", sa.Text(), nullable=True),
        sa.Column("virtual_key", sa.Text(), nullable=True),
        sa.Column("config_name", sa.Text(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Text(), nullable=True),
        sa.Column("cache_status", sa.Text(), nullable=True),
        sa.Column("images", sa.Integer(), nullable=True),
        sa.Column("cost_micro_usd", INT64, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("request_log_trace", "request_log", ["trace_id"])
    op.create_index("request_log_time", "request_log", ["created_at"])
    op.create_index("request_log_status", "request_log", ["status", "created_at"])
    op.create_index("request_log_team_time", "request_log", ["team", "created_at"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("last_used_at", FLOAT64, nullable=True),
        sa.Column("revoked_at", FLOAT64, nullable=True),
        sa.Column("limit_rpm", sa.Integer(), nullable=True),
        sa.Column("limit_ipm", sa.Integer(), nullable=True),
        sa.Column("limit_daily_micro_usd", INT64, nullable=True),
        sa.Column("limit_monthly_micro_usd", INT64, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("api_keys_name", "api_keys", ["name"])

    op.create_table(
        "virtual_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("teams", sa.Text(), nullable=False),
        sa.Column("disabled_at", FLOAT64, nullable=True),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("updated_at", FLOAT64, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )

    op.create_table(
        "configs",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("deleted_at", FLOAT64, nullable=True),
        sa.PrimaryKeyConstraint("name", "version"),
    )

    op.create_table(
        "request_attempts",
        sa.Column("id", INT64, autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("target_path", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("latency_ms", FLOAT64, nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("request_attempts_request", "request_attempts", ["request_id", "seq"])
    op.create_index("request_attempts_time", "request_attempts", ["created_at"])

    op.create_table(
        "usage_windows",
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("window", sa.Text(), nullable=False),
        sa.Column("requests", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("images", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("spend_micro_usd", INT64, server_default=ZERO, nullable=False),
        sa.Column("expires_at", FLOAT64, nullable=False),
        sa.PrimaryKeyConstraint("key_id", "window"),
    )
    op.create_index("usage_windows_expiry", "usage_windows", ["expires_at"])

    op.create_table(
        "cache_entries",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("team", sa.Text(), nullable=True),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("expires_at", FLOAT64, nullable=False),
        sa.Column("last_used_at", FLOAT64, nullable=False),
        sa.Column("hits", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("size_bytes", INT64, nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("cache_entries_lru", "cache_entries", ["last_used_at"])
    op.create_index("cache_entries_expiry", "cache_entries", ["expires_at"])


def downgrade() -> None:
    op.drop_table("cache_entries")
    op.drop_table("usage_windows")
    op.drop_table("request_attempts")
    op.drop_table("configs")
    op.drop_table("virtual_keys")
    op.drop_table("api_keys")
    op.drop_table("request_log")
