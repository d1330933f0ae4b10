"""The administrator's dashboard: summary counts kept by the event handlers, and a
partial index of the waiting claims.

The backfill counts what the tables already hold, once, so the dashboard of an
existing installation starts from its history: the invalid list by region and
reason, loss reports by day, region and channel, online settlements by hour, region,
outcome and institution, open replacements by ready date and the old card's region.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WAITING_CLAIM = sa.text("claims.status IN ('submitted', 'awaiting_second_review')")


def _hour(column: str) -> str:
    """Whole hours since 1970 UTC of a timestamp column, in this database's SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(floor(extract(epoch FROM {column}) / 3600) AS BIGINT)"
    return f"CAST(strftime('%s', {column}) AS INTEGER) / 3600"


def _china_day(column: str) -> str:
    """Days since 1970-01-01 of an instant's date in China (UTC+8), in this database's SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(floor((extract(epoch FROM {column}) + 28800) / 86400) AS BIGINT)"
    return f"(CAST(strftime('%s', {column}) AS INTEGER) + 28800) / 86400"


def _day(column: str) -> str:
    """Days since 1970-01-01 of a date column, in this database's SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def upgrade() -> None:
    op.create_table(
        "dashboard_counts",
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "bucket", "region_code", "key", "shard", name=op.f("pk_dashboard_counts")),
    )
    op.create_index(
        "ix_claims_waiting_region_code_submitted_at",
        "claims",
        ["region_code", "submitted_at"],
        unique=False,
        postgresql_where=WAITING_CLAIM,
        sqlite_where=WAITING_CLAIM,
    )
    # The SQL is built of this file's own constants only (no input reaches it).
    columns = "(metric, bucket, region_code, key, shard, n)"
    op.execute(
        f"INSERT INTO dashboard_counts {columns} "  # noqa: S608
        "SELECT 'invalid', 0, region_code, reason, 0, count(*) FROM invalid_cards GROUP BY region_code, reason"
    )
    loss_hour = _china_day("loss_reports.reported_at")
    op.execute(
        f"INSERT INTO dashboard_counts {columns} "  # noqa: S608
        f"SELECT 'loss', {loss_hour}, cards.region_code, loss_reports.channel, 0, count(*) "
        "FROM loss_reports JOIN cards ON cards.id = loss_reports.card_id "
        f"GROUP BY {loss_hour}, cards.region_code, loss_reports.channel"
    )
    settled_hour = _hour("settlements.at")
    op.execute(
        f"INSERT INTO dashboard_counts {columns} "  # noqa: S608
        f"SELECT 'settlement', {settled_hour}, institutions.region_code, settlements.status, "
        "settlements.institution_id % 4, count(*) "
        "FROM settlements JOIN institutions ON institutions.id = settlements.institution_id "
        "WHERE settlements.method <> 'offline' AND settlements.status IN ('approved', 'declined') "
        f"GROUP BY {settled_hour}, institutions.region_code, settlements.status, settlements.institution_id % 4"
    )

    ready_day = _day("replacements.ready_on")
    op.execute(
        f"INSERT INTO dashboard_counts {columns} "  # noqa: S608
        f"SELECT 'replacement', {ready_day}, cards.region_code, 'open', 0, count(*) "
        "FROM replacements JOIN cards ON cards.id = replacements.old_card_id "
        "WHERE replacements.collected_at IS NULL "
        f"GROUP BY {ready_day}, cards.region_code"
    )


def downgrade() -> None:
    op.drop_index("ix_claims_waiting_region_code_submitted_at", table_name="claims")
    op.drop_table("dashboard_counts")
