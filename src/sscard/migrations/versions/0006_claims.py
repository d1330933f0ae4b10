"""Reimbursement claims, their expenses and scans.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sscard.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("replacement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("claimed_amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("approved_amount", sa.BigInteger(), nullable=True),
        sa.Column("supplementary_amount", sa.BigInteger(), nullable=False),
        sa.Column("supplementary_insurer", sa.String(length=100), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("decided_at", sscard.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_claims_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["replacement_id"], ["replacements.id"], name=op.f("fk_claims_replacement_id_replacements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_claims_region_code_id", ["region_code", "id"], unique=False)

    op.create_table(
        "claim_expenses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("institution", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("invoice_no", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_expenses_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_expenses")),
        sa.UniqueConstraint("invoice_no", name=op.f("uq_claim_expenses_invoice_no")),
    )
    with op.batch_alter_table("claim_expenses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_expenses_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("uploaded_at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_scans_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_scans")),
    )
    with op.batch_alter_table("claim_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_scans_claim_id"), ["claim_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_scans_claim_id"))

    op.drop_table("claim_scans")
    with op.batch_alter_table("claim_expenses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_expenses_claim_id"))

    op.drop_table("claim_expenses")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_region_code_id")
        batch_op.drop_index(batch_op.f("ix_claims_person_id"))

    op.drop_table("claims")
