"""Settlements (approved and declined), refunds, compensations, e-certificates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class Settlement(Base):
    """One charge attempt at a terminal: approved, or declined with its code."""

    __tablename__ = "settlements"
    __table_args__ = (
        Index("ix_settlements_person_id_id", "person_id", "id"),
        UniqueConstraint("terminal_id", "local_id", name="uq_settlements_terminal_id_local_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    terminal_id: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    card_no: Mapped[str | None] = mapped_column(String(16))
    # R-SET-5: the temporary certificate presented instead of a card (method `certificate`).
    certificate_no: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))
    code: Mapped[str | None] = mapped_column(String(32))
    # The list version the terminal had applied: what it knew when it charged (R-LIA-2).
    list_version: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_id: Mapped[str | None] = mapped_column(String(64))
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class OfflineCounter(Base):
    """R-SET-6: a transaction counter a card has used, and the charge that used it.

    The unique constraint is the guard: each counter of a card signs one charge only.
    """

    __tablename__ = "offline_counters"
    __table_args__ = (UniqueConstraint("card_id", "counter", name="uq_offline_counters_card_id_counter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    counter: Mapped[int] = mapped_column(BigInteger)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), unique=True)
    # The card's signature of the charge: what shows the holder's card made it (R-LIA).
    cryptogram: Mapped[str] = mapped_column(String(32))


class Refund(Base):
    """Money given back on an approved settlement; never more than was charged."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    balance_after: Mapped[int] = mapped_column(BigInteger)


class Compensation(Base):
    """R-LIA-2: a charge after the loss report, made good to the holder."""

    __tablename__ = "compensations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    liable: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ECertificate(Base):
    """A short-lived, single-use electronic medical insurance certificate (R-SET-3)."""

    __tablename__ = "e_certificates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """The first response to a request made with an Idempotency-Key (API.md)."""

    __tablename__ = "idempotency_records"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
