"""Designated medical institutions and their POS terminals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class Institution(Base):
    """A hospital or pharmacy; only designated ones may settle (R-SET-1)."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    designated: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Terminal(Base):
    """A POS terminal of an institution; it signs in with client credentials."""

    __tablename__ = "terminals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(32), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # R-INV-3: the list version the terminal says it applied, and when it said so.
    list_version: Mapped[int | None] = mapped_column(BigInteger)
    list_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # R-SEC-2: bumped when the terminal is disabled, enabled or given a new secret; a
    # token of another generation is void, as a login's is.
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())
