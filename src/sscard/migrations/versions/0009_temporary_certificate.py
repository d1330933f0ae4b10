"""Settlements with the temporary certificate (R-SET-5): the number presented, and a
method name long enough for `certificate`.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Widening a varchar rewrites no rows on PostgreSQL; on SQLite batch mode copies the table.
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_no", sa.String(length=20), nullable=True))
        batch_op.alter_column("method", existing_type=sa.String(length=8), type_=sa.String(length=16))


def downgrade() -> None:
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.alter_column("method", existing_type=sa.String(length=16), type_=sa.String(length=8))
        batch_op.drop_column("certificate_no")
