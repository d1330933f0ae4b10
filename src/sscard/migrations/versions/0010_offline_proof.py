"""Offline proof (R-SET-6): the transaction counters each card has used; four eyes on
claims (R-SEC-4): who approved first, and room for the status awaiting_second_review.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sscard.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offline_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("cryptogram", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_offline_counters_card_id_cards")),
        sa.ForeignKeyConstraint(
            ["settlement_id"], ["settlements.id"], name=op.f("fk_offline_counters_settlement_id_settlements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_counters")),
        sa.UniqueConstraint("card_id", "counter", name="uq_offline_counters_card_id_counter"),
        sa.UniqueConstraint("settlement_id", name=op.f("uq_offline_counters_settlement_id")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_approved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("first_approved_at", sscard.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "status", existing_type=sa.VARCHAR(length=12), type_=sa.String(length=24), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column(
            "status", existing_type=sa.String(length=24), type_=sa.VARCHAR(length=12), existing_nullable=False
        )
        batch_op.drop_column("first_approved_at")
        batch_op.drop_column("first_approved_by")
    op.drop_table("offline_counters")
