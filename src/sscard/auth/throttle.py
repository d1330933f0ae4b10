"""R-SEC-3: counting wrong passwords per login and per client address, as plain arithmetic.

A window opens at the first failure and lasts WINDOW; the failure that reaches the
limit inside it locks the key for LOCK and closes the window, so counting starts again
after the lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 100  # a counter's outlet shares one address


@dataclass(frozen=True, slots=True)
class Count:
    """What is known of one key: when its window opened, its failures, its lock."""

    window_started_at: datetime | None = None
    failures: int = 0
    locked_until: datetime | None = None


def retry_after(count: Count, now: datetime) -> int | None:
    """Whole seconds until the key may try again, or None when it is not locked."""
    if count.locked_until is None or count.locked_until <= now:
        return None
    return max(1, math.ceil((count.locked_until - now).total_seconds()))


def after_failure(count: Count, now: datetime, max_failures: int) -> Count:
    """The count once one more wrong password is seen at `now`."""
    started = count.window_started_at
    if started is None or not started <= now < started + WINDOW:
        count = Count(window_started_at=now, failures=0)
    failures = count.failures + 1
    if failures >= max_failures:
        return Count(locked_until=now + LOCK)
    return Count(window_started_at=count.window_started_at, failures=failures)


def login_key(username: str) -> str:
    """The key a login is counted under (as typed, folded to lower case)."""
    return "login:" + username.lower()[:100]


def address_key(address: str) -> str:
    """The key a client address is counted under."""
    return "address:" + address[:100]
