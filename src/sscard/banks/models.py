"""The banks' events and where each bank wants them pushed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class BankEvent(Base):
    """Something a cooperative bank must learn about one of its cards (R-LOSS-6)."""

    __tablename__ = "bank_events"
    __table_args__ = (Index("ix_bank_events_bank_id", "bank", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    card_no: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BankEndpoint(Base):
    """Where a bank's events are pushed, and how far the push has come (R-NOTE-2)."""

    __tablename__ = "bank_endpoints"

    bank: Mapped[str] = mapped_column(String(16), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    # The bank's own signing secret; it must be readable to sign, so it is kept as given
    # (access to this table is access to the database).
    secret: Mapped[str] = mapped_column(String(200))
    # Events up to this one have been acknowledged (pushed in order, one at a time).
    pushed_through: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
