"""Messages to holders and whether they reached the gateway."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class Notification(Base):
    """One SMS to a holder (R-NOTE-1): queued in the change's transaction, sent after it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_person_id_id", "person_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8))
    # The number it goes to, as on file when it was queued (None: no phone on file).
    phone: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # queued → sent; no_phone when there is nowhere to send it.
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
