"""Users of the service: staff and cardholders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from sscard.db import Base, UTCDateTime


class User(Base):
    """A login with one role and one region scope."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), unique=True)
    bank: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    # R-SEC-2: bumped by every change to the login; a token of another generation is void.
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    disabled: Mapped[bool] = mapped_column(default=False, server_default=false())


class SigninThrottle(Base):
    """R-SEC-3: the wrong passwords counted for one login or one client address."""

    __tablename__ = "signin_throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
