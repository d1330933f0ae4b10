"""Regions, their policy overrides and their own working-day calendar entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class RegionRow(Base):
    """An administrative division (GB/T 2260)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))


class RegionPolicyRow(Base):
    """The policy fields a region sets itself; the rest it inherits."""

    __tablename__ = "region_policies"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class RegionDay(Base):
    """A region's own working day or day off, overriding the official calendar (R-REP-3)."""

    __tablename__ = "region_days"

    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
