"""Working days: China's official calendar, adjusted by a region's own days (R-REP-3).

A replacement card is ready after a number of working days, and those follow the
State Council's holidays, including the weekends it turns into working days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType

# The package ships no type information; its one function used here takes and returns plain values.
from chinese_calendar import is_workday  # type: ignore[import-untyped]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


def official_is_working_day(day: date) -> bool:
    """Whether China's official calendar makes a day a working day."""
    try:
        return bool(is_workday(day))
    except NotImplementedError:
        # The package knows only the years published when it was released; the State
        # Council announces a year's holidays late in the year before. Until the
        # package is upgraded, plain weekdays count and a region enters the year's
        # holidays and adjusted weekends as its own days.
        return day.weekday() < _SATURDAY


class WorkingCalendar:
    """The official calendar with a region's own days off and extra working days."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self.overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))

    def is_working_day(self, day: date) -> bool:
        """Whether a day is worked: the region's own entry, else the official calendar."""
        own = self.overrides.get(day)
        return official_is_working_day(day) if own is None else own

    def add_working_days(self, start: date, days: int) -> date:
        """The day the `days`-th working day after `start` falls on; `start` itself for 0."""
        if days < 0:
            raise ValueError(f"a number of working days cannot be negative: {days}")
        day, remaining = start, days
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count
