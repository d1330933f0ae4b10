"""Working-day arithmetic on China's official calendar and a region's own days (R-REP-3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.policy.calendar import WorkingCalendar, official_is_working_day
from sscard.policy.rules import INT_BOUNDS

OFFICIAL = WorkingCalendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(date(2025, 1, 28), date(2025, 2, 4), id="spring-festival-2025"),
        pytest.param(date(2025, 10, 1), date(2025, 10, 8), id="national-day-2025"),
        pytest.param(date(2026, 2, 15), date(2026, 2, 23), id="spring-festival-2026"),
        pytest.param(date(2026, 9, 25), date(2026, 9, 27), id="mid-autumn-2026"),
        pytest.param(date(2026, 10, 1), date(2026, 10, 7), id="national-day-2026"),
    ],
)
def test_official_holidays_are_days_off_even_on_weekdays(first: date, last: date) -> None:
    assert not any(official_is_working_day(day) for day in days(first, last))


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 26),  # Sunday, for Spring Festival 2025
        date(2025, 2, 8),  # Saturday
        date(2025, 9, 28),  # Sunday, for National Day 2025
        date(2025, 10, 11),  # Saturday
        date(2026, 2, 14),  # Saturday, for Spring Festival 2026
        date(2026, 2, 28),  # Saturday
        date(2026, 9, 20),  # Sunday, for National Day 2026
        date(2026, 10, 10),  # Saturday
    ],
)
def test_adjusted_weekends_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert official_is_working_day(day)


@pytest.mark.parametrize(
    ("start", "ready"),
    [
        # Monday before Spring Festival 2025: 5, 6, 7, 8 (Sat), 10 … 14, 17 … 21, 24 Feb.
        pytest.param(date(2025, 1, 27), date(2025, 2, 24), id="spring-festival-2025"),
        # Friday before it: Sunday 26 Jan and Monday 27 Jan count first.
        pytest.param(date(2025, 1, 24), date(2025, 2, 20), id="spring-festival-2025-from-friday"),
        # 28 (Sun), 29, 30 Sep; 9, 10, 11 (Sat), 13 … 17, 20 … 23 Oct.
        pytest.param(date(2025, 9, 26), date(2025, 10, 23), id="national-day-2025"),
        # 14 (Sat), 24 … 28 (Sat) Feb; 2 … 6, 9 … 12 Mar.
        pytest.param(date(2026, 2, 13), date(2026, 3, 12), id="spring-festival-2026"),
        # 8, 9, 10 (Sat), 12 … 16, 19 … 23, 26, 27 Oct.
        pytest.param(date(2026, 9, 30), date(2026, 10, 27), id="national-day-2026"),
        # 20 (Sun) … 24, 28 … 30 Sep (Mid-Autumn 25 … 27 off); 8, 9, 10 (Sat), 12 … 15 Oct.
        pytest.param(date(2026, 9, 18), date(2026, 10, 15), id="mid-autumn-and-national-day-2026"),
    ],
)
def test_fifteen_working_days_land_where_a_person_counts_by_hand(start: date, ready: date) -> None:
    assert OFFICIAL.add_working_days(start, 15) == ready
    assert OFFICIAL.working_days_between(start, ready) == 15


@pytest.mark.parametrize("start", [date(2026, 2, 17), date(2026, 3, 1), date(2026, 3, 2)])
def test_zero_days_is_the_same_day_even_on_a_holiday(start: date) -> None:
    # "Completed on the spot" at a provincial center.
    assert OFFICIAL.add_working_days(start, 0) == start


def test_a_negative_number_of_days_is_refused() -> None:
    with pytest.raises(ValueError):
        OFFICIAL.add_working_days(date(2026, 3, 2), -1)


def test_a_regions_day_off_pushes_the_date_back() -> None:
    beijing = WorkingCalendar({date(2026, 3, 5): False})
    assert OFFICIAL.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 12)
    assert beijing.add_working_days(date(2026, 2, 13), 15) == date(2026, 3, 13)
    assert not beijing.is_working_day(date(2026, 3, 5))


def test_a_regions_extra_working_day_brings_the_date_forward() -> None:
    local = WorkingCalendar({date(2026, 3, 7): True})
    assert local.is_working_day(date(2026, 3, 7))
    assert local.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)
    assert OFFICIAL.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)


def test_a_region_can_take_back_an_adjusted_working_weekend() -> None:
    local = WorkingCalendar({date(2026, 2, 14): False})
    assert OFFICIAL.is_working_day(date(2026, 2, 14))
    assert not local.is_working_day(date(2026, 2, 14))


def test_overrides_are_copied_so_later_changes_to_the_source_do_not_leak_in() -> None:
    source = {date(2026, 3, 5): False}
    calendar = WorkingCalendar(source)
    source[date(2026, 3, 5)] = True
    assert not calendar.is_working_day(date(2026, 3, 5))


def test_a_year_the_package_does_not_know_falls_back_to_weekdays() -> None:
    # 2027's holidays were not in the package: 1 January 2027 is a Friday and counts.
    week = days(date(2027, 1, 1), date(2027, 1, 7))
    assert [official_is_working_day(day) for day in week] == [True, False, False, True, True, True, True]
    assert OFFICIAL.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)


def test_a_region_enters_an_unpublished_years_holiday_itself() -> None:
    local = WorkingCalendar({date(2027, 1, 1): False})
    assert local.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_working_days_between_counts_after_start_up_to_and_including_end() -> None:
    assert OFFICIAL.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert OFFICIAL.working_days_between(date(2026, 3, 2), date(2026, 3, 3)) == 1
    assert OFFICIAL.working_days_between(date(2026, 3, 6), date(2026, 3, 8)) == 0
    assert OFFICIAL.working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert OFFICIAL.working_days_between(date(2026, 2, 14), date(2026, 2, 24)) == 1


# The years with official data and the first one without.
dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
overrides = st.dictionaries(dates, st.booleans(), max_size=30)
working_days = st.integers(min_value=1, max_value=INT_BOUNDS["production_working_days"][1])


@given(start=dates, count=working_days, own=overrides)
def test_the_ready_date_is_a_later_working_day_exactly_n_working_days_on(
    start: date, count: int, own: dict[date, bool]
) -> None:
    calendar = WorkingCalendar(own)
    ready = calendar.add_working_days(start, count)
    assert ready > start
    assert calendar.is_working_day(ready)
    assert calendar.working_days_between(start, ready) == count


@given(start=dates, first=st.integers(0, 60), second=st.integers(0, 60), own=overrides)
def test_adding_in_two_steps_lands_on_the_same_day(start: date, first: int, second: int, own: dict[date, bool]) -> None:
    calendar = WorkingCalendar(own)
    in_steps = calendar.add_working_days(calendar.add_working_days(start, first), second)
    assert in_steps == calendar.add_working_days(start, first + second)
