"""Blobs any instance can serve, and the secrets every instance shares.

``blobs``: hosted images and cached images' base64 text when the store is PostgreSQL
(gateway.store.blobs); on SQLite they stay files and the table stays empty. Its ``data``
column is stored EXTERNAL on PostgreSQL: out of line, never compressed, since PNG,
JPEG and WebP bytes (and their base64 text, almost as much) do not shrink, and pglz
would spend CPU finding that out on every write.

``secrets``: the API-key pepper, the URL-signing key and the cache key as Fernet tokens
under the master key (gateway.store.secrets), created by the first instance to start.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import sqlite

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

# BIGINT / DOUBLE PRECISION on PostgreSQL; exactly INTEGER / REAL on SQLite (as 0001).
INT64 = sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
FLOAT64 = sa.Double().with_variant(sqlite.REAL(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", INT64, nullable=False),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.Column("expires_at", FLOAT64, nullable=False),
        sa.PrimaryKeyConstraint("kind", "name"),
    )
    op.create_index("blobs_expiry", "blobs", ["kind", "expires_at"])
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL")

    op.create_table(
        "secrets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", FLOAT64, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("secrets")
    op.drop_index("blobs_expiry", table_name="blobs")
    op.drop_table("blobs")
