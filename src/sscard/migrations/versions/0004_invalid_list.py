"""The invalid list: the version counter, the cards on the list and the change log,
filled from the cards already lost, replaced or cancelled.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sscard.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invalid_list_changes",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("card_no", sa.String(length=16), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("at", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_invalid_list_changes")),
    )
    with op.batch_alter_table("invalid_list_changes", schema=None) as batch_op:
        batch_op.create_index("ix_invalid_list_changes_region_code_version", ["region_code", "version"], unique=False)

    counter = op.create_table(
        "invalid_list_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invalid_list_counter")),
    )
    op.create_table(
        "invalid_cards",
        sa.Column("card_no", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("since", sscard.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name=op.f("fk_invalid_cards_card_id_cards")),
        sa.PrimaryKeyConstraint("card_no", name=op.f("pk_invalid_cards")),
        sa.UniqueConstraint("card_id", name=op.f("uq_invalid_cards_card_id")),
    )
    with op.batch_alter_table("invalid_cards", schema=None) as batch_op:
        batch_op.create_index("ix_invalid_cards_region_code_card_no", ["region_code", "card_no"], unique=False)

    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_version", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("list_synced_at", sscard.db.UTCDateTime(timezone=True), nullable=True))

    op.bulk_insert(counter, [{"id": 1, "version": 0}])
    _list_existing_cards()


# R-INV-1 as it stood when the list was introduced: cards already lost, replaced or
# cancelled, or being replaced because damaged, demagnetised or expired.
_BY_STATUS = {"provisional_loss": "lost", "lost": "lost", "replaced": "replaced", "cancelled": "cancelled"}
_BY_REPLACEMENT = {"damaged": "damaged", "demagnetized": "demagnetized", "expired": "expired"}


def _list_existing_cards() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.id, c.card_no, c.region_code, c.status, c.status_changed_at, r.reason"
            " FROM cards c LEFT JOIN replacements r ON r.old_card_id = c.id AND r.collected_at IS NULL"
            " ORDER BY c.id"
        )
    ).all()
    version = 0
    for card_id, card_no, region, status, since, replacement_reason in rows:
        reason = _BY_STATUS.get(status) or _BY_REPLACEMENT.get(replacement_reason or "")
        if reason is None:
            continue
        version += 1
        values = {
            "card_no": card_no,
            "card_id": card_id,
            "region": region,
            "reason": reason,
            "since": since,
            "version": version,
        }
        bind.execute(
            sa.text(
                "INSERT INTO invalid_cards (card_no, card_id, region_code, reason, since, version)"
                " VALUES (:card_no, :card_id, :region, :reason, :since, :version)"
            ),
            values,
        )
        bind.execute(
            sa.text(
                "INSERT INTO invalid_list_changes (version, card_no, op, reason, at, region_code)"
                " VALUES (:version, :card_no, 'add', :reason, :since, :region)"
            ),
            values,
        )
    bind.execute(sa.text("UPDATE invalid_list_counter SET version = :v WHERE id = 1"), {"v": version})


def downgrade() -> None:
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_column("list_synced_at")
        batch_op.drop_column("list_version")
    with op.batch_alter_table("invalid_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_invalid_cards_region_code_card_no")

    op.drop_table("invalid_cards")
    op.drop_table("invalid_list_counter")
    with op.batch_alter_table("invalid_list_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_invalid_list_changes_region_code_version")

    op.drop_table("invalid_list_changes")
