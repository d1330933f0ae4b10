"""The list's current state, its change log and the version counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class ListCounter(Base):
    """The one row that hands out versions.

    Locked from the moment a transaction takes a version until it commits, so that
    versions commit in order: a reader that has seen version v has seen every change
    up to v, and never skips one that commits late.
    """

    __tablename__ = "invalid_list_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class InvalidCard(Base):
    """A card on the invalid list now (R-INV-1)."""

    __tablename__ = "invalid_cards"
    __table_args__ = (Index("ix_invalid_cards_region_code_card_no", "region_code", "card_no"),)

    card_no: Mapped[str] = mapped_column(String(16), primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(BigInteger)


class ListChange(Base):
    """One entry of the change log terminals follow (R-INV-3)."""

    __tablename__ = "invalid_list_changes"
    __table_args__ = (Index("ix_invalid_list_changes_region_code_version", "region_code", "version"),)

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    card_no: Mapped[str] = mapped_column(String(16))
    op: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    region_code: Mapped[str] = mapped_column(String(6))
