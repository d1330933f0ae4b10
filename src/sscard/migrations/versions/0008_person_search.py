"""Person search (R-FIND-1): persons' birth dates and the indexes each way of finding
a person reads; the outlet's replacement queue in application order.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# GB 11643 characters 7-14 (YYYYMMDD) of numbers that registration already checked.
_BIRTH_DATE_FROM_ID_NUMBER = {
    "postgresql": "to_date(substr(id_number, 7, 8), 'YYYYMMDD')",
    "sqlite": "substr(id_number, 7, 4) || '-' || substr(id_number, 11, 2) || '-' || substr(id_number, 13, 2)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # SQLite adds a NOT NULL column only with a default, and changing the column later
    # would rebuild persons, which the rows of accounts and cards refer to; the default
    # is overwritten by the backfill at once, and dropped where the database can.
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=False, server_default="1900-01-01"))
    op.execute(f"UPDATE persons SET birth_date = {_BIRTH_DATE_FROM_ID_NUMBER[dialect]}")  # noqa: S608 (constant)
    if dialect == "postgresql":
        op.alter_column("persons", "birth_date", server_default=None)
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index("ix_persons_phone_id", ["phone", "id"], unique=False)
        batch_op.create_index("ix_persons_name_birth_date_id", ["name", "birth_date", "id"], unique=False)
    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.create_index("ix_replacements_applied_at_id", ["applied_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.drop_index("ix_replacements_applied_at_id")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index("ix_persons_name_birth_date_id")
        batch_op.drop_index("ix_persons_phone_id")
        batch_op.drop_column("birth_date")
