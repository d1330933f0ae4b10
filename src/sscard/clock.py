"""One clock for the whole service, so tests and demos can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    """Tells the current instant."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, timezone-aware in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and demos."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a FixedClock needs a timezone-aware instant")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to an instant."""
        self._at = at

    def advance(self, delta: timedelta) -> None:
        """Move forward by a duration."""
        self._at += delta


class OffsetClock:
    """The real time moved forward by an offset; a demo's way to let days pass."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move forward by a duration (never back: time-ordered records stay ordered)."""
        if delta < timedelta(0):
            raise ValueError("a demo clock only moves forward")
        self.offset += delta


def token_time(clock: Clock) -> datetime:
    """The instant access tokens are issued and checked at: the real time behind a demo's
    moved clock, so that letting days pass on a demo signs nobody out; any other clock's now."""
    if isinstance(clock, OffsetClock):
        return clock.now() - clock.offset
    return clock.now()


def china_date(at: datetime) -> date:
    """The calendar date in China Standard Time; dates in the API are CST dates."""
    return at.astimezone(CHINA_STANDARD_TIME).date()
