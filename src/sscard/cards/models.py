"""Cards, their transition history, and the per-region serial counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sscard.cards.states import LIVE
from sscard.db import Base, UTCDateTime

LIVE_SQL = "status IN ({})".format(", ".join(sorted(f"'{s.value}'" for s in LIVE)))


class Card(Base):
    """A social security card (R-CARD-1)."""

    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_person_id_status", "person_id", "status"),
        Index("ix_cards_valid_until", "valid_until"),
        # R-CARD-1: at most one live card per person, guarded by the database itself.
        Index(
            "uq_cards_one_live_per_person",
            "person_id",
            unique=True,
            postgresql_where=text(LIVE_SQL),
            sqlite_where=text(LIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_no: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    bank: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str | None] = mapped_column(String(64))
    pin_changed_by_holder: Mapped[bool] = mapped_column(default=False)
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the current loss began (the first report not since lifted); R-LOSS-5, R-LIA.
    lost_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str | None] = mapped_column(String(16))
    replacement_for: Mapped[str | None] = mapped_column(String(16))
    # R-CARD-4: the last day the card is valid, its end the instant it expires; when the
    # scheduled job found it expired, and when it told the holder ahead.
    valid_until: Mapped[date] = mapped_column(Date)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expiry_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CardTransition(Base):
    """One arrow of the state machine taken by one card, and who took it."""

    __tablename__ = "card_transitions"
    __table_args__ = (Index("ix_card_transitions_card_id_id", "card_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CardSerial(Base):
    """The last serial number used for cards of a region; locked while issuing."""

    __tablename__ = "card_serials"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)
