"""Insured persons, their personal medical accounts and the ledger postings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class Person(Base):
    """An insured person (cardholder) of one scheme."""

    __tablename__ = "persons"
    __table_args__ = (
        # R-FIND-1: each way of finding a person is one index range, already in the
        # order the pages are read (by id). Stored names are already in name_key form
        # (see find.rules), so the name is indexed as it is.
        Index("ix_persons_phone_id", "phone", "id"),
        Index("ix_persons_name_birth_date_id", "name", "birth_date", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    # GB 11643 characters 7-14, kept as a column so that name + birth date is indexed.
    birth_date: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    scheme: Mapped[str] = mapped_column(String(16))
    unit_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    # The language messages reach the holder in (R-NOTE-1): zh-CN unless they chose en.
    language: Mapped[str] = mapped_column(String(8), default="zh-CN", server_default="zh-CN")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Account(Base):
    """The personal medical account (R-ACC-1); its row is the lock for money moves."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("held >= 0 AND held <= balance", name="held_within_balance"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    # R-REP-6: money still held at the old card's bank, counted in the balance but not
    # spendable until the transfer to the new card.
    held: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # R-CARD-5: after a cancellation's payout the account takes no more money in or out.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Posting(Base):
    """One change of balance; the balance is the sum of these (R-ACC-1)."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        Index("ix_postings_person_id_id", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("accounts.person_id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))
    memo: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
