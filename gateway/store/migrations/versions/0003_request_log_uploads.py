"""The request log names the route and describes an edit's or variation's input files.

``operation``: generations, edits or variations (NULL on rows written before it).
``uploads``: a JSON list, one object per input file (the images, then the mask) with
its field, SHA-256, size in bytes, format and dimensions: never the bytes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    with op.batch_alter_table("request_log") as batch:
        batch.add_column(sa.Column("operation", sa.Text()))
        batch.add_column(sa.Column("uploads", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("request_log") as batch:
        batch.drop_column("uploads")
        batch.drop_column("operation")
