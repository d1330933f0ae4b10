"""How long a card is valid (R-CARD-4): pure."""

from __future__ import annotations

from datetime import date, timedelta

# R-CARD-4 / R-NOTE-1: the holder is told this many days before the last valid day.
NOTICE_DAYS = 30


def last_valid_day(issued_on: date, years: int) -> date:
    """The day before the `years`th anniversary of issue (a 29 February issue's
    anniversary in a common year is 1 March)."""
    try:
        anniversary = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February, and the anniversary's year has none
        anniversary = date(issued_on.year + years, 3, 1)
    return anniversary - timedelta(days=1)


def is_expired(valid_until: date, today: date) -> bool:
    """Expired from the day after the last valid day."""
    return today > valid_until


def notice_due(valid_until: date, today: date) -> bool:
    """Whether the holder should be told by now that the card will expire."""
    return today >= valid_until - timedelta(days=NOTICE_DAYS) and not is_expired(valid_until, today)
