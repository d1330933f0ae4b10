"""Access: login generations and disabling (R-SEC-2), sign-in throttles (R-SEC-3).

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sscard.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "signin_throttles",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("window_started_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_throttles")),
    )


def downgrade() -> None:
    op.drop_table("signin_throttles")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled")
        batch_op.drop_column("generation")
