"""Loss reports, replacements, bank events; the account's held balance and the
card's lost_since.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sscard.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("card_no", sa.String(length=16), nullable=False),
        sa.Column("at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_events")),
    )
    with op.batch_alter_table("bank_events", schema=None) as batch_op:
        batch_op.create_index("ix_bank_events_bank_id", ["bank", "id"], unique=False)

    op.create_table(
        "loss_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reported_at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("reporter_relation", sa.String(length=8), nullable=False),
        sa.Column("reporter_name", sa.String(length=40), nullable=True),
        sa.Column("reporter_id_number", sa.String(length=18), nullable=True),
        sa.Column("reporter_reason", sa.String(length=200), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_loss_reports_card_id_cards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loss_reports")),
    )
    with op.batch_alter_table("loss_reports", schema=None) as batch_op:
        batch_op.create_index("ix_loss_reports_card_id_id", ["card_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loss_reports_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "replacements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_card_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("new_card_no", sa.String(length=16), nullable=False),
        sa.Column("new_bank", sa.String(length=16), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("fee_paid_at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("applied_at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("ready_on", sa.Date(), nullable=False),
        sa.Column("collection_certificate_no", sa.String(length=20), nullable=False),
        sa.Column("certificate_valid_until", sa.Date(), nullable=False),
        sa.Column("collected_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collected_by", sa.String(length=64), nullable=True),
        sa.Column("clearing_notice_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bank_cancellation_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_amount", sa.BigInteger(), nullable=False),
        sa.Column("transferred_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["old_card_id"], ["cards.id"], name=op.f("fk_replacements_old_card_id_cards")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_replacements_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replacements")),
        sa.UniqueConstraint("collection_certificate_no", name=op.f("uq_replacements_collection_certificate_no")),
        sa.UniqueConstraint("new_card_no", name=op.f("uq_replacements_new_card_no")),
        sa.UniqueConstraint("old_card_id", name=op.f("uq_replacements_old_card_id")),
    )
    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replacements_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.create_check_constraint("held_within_balance", "held >= 0 AND held <= balance")

    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_since", sscard.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("lost_since")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_accounts_held_within_balance"), type_="check")
        batch_op.drop_column("held")

    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replacements_person_id"))

    op.drop_table("replacements")
    with op.batch_alter_table("loss_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loss_reports_expires_at"))
        batch_op.drop_index("ix_loss_reports_card_id_id")

    op.drop_table("loss_reports")
    with op.batch_alter_table("bank_events", schema=None) as batch_op:
        batch_op.drop_index("ix_bank_events_bank_id")

    op.drop_table("bank_events")
