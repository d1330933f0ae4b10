"""Counts the dashboard reads instead of counting the big tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sscard.claims.models import Claim
from sscard.db import Base


class DashboardCount(Base):
    """How many of something there are in one bucket of one region, by key.

    Kept by the event handlers in the transaction of the change (sscard.dashboard.handlers):
    `settlement` by hour and outcome (approved, declined), shard = the institution's id
    modulo 4, so that concurrent charges seldom wait for the same row; `loss` by day (China
    time, days since 1970-01-01) and channel; `invalid` by reason, standing (bucket 0), up and down with the list;
    `replacement` the open ones by their ready date (bucket = days since 1970-01-01),
    up when applied for and down when collected.
    """

    __tablename__ = "dashboard_counts"

    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Whole hours since 1970-01-01 UTC; days for `loss` and `replacement`; 0 if standing.
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)


# The undecided claims are few beside all there ever were: a partial index holds only
# those, so the dashboard reads them without a scan.
WAITING_CLAIM = text("claims.status IN ('submitted', 'awaiting_second_review')")

Index(
    "ix_claims_waiting_region_code_submitted_at",
    Claim.region_code,
    Claim.submitted_at,
    postgresql_where=WAITING_CLAIM,
    sqlite_where=WAITING_CLAIM,
)
