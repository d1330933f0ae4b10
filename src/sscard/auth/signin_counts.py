"""The stored counts of wrong passwords (R-SEC-3), shared by every server process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from sscard.auth import throttle
from sscard.auth.models import SigninThrottle
from sscard.errors import ServiceError
from sscard.unit import Unit

_TABLE = cast("Table", SigninThrottle.__table__)
# ON CONFLICT DO NOTHING: a count is made once, whichever process sees its first failure.
_CREATE = {
    "postgresql": postgresql.insert(_TABLE).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_TABLE).on_conflict_do_nothing(),
}


class SigninThrottled(ServiceError):
    """429: too many wrong passwords for this login or from this address."""

    status, code, title = 429, "signin_throttled", "Too many sign-in attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


def refuse_if_locked(unit: Unit, keys: Sequence[str]) -> None:
    """429 signin_throttled while any of the keys is locked, the right password or not."""
    rows = unit.session.scalars(select(SigninThrottle).where(SigninThrottle.key.in_(keys))).all()
    waits = [throttle.retry_after(_count(row), unit.now) for row in rows]
    longest = max((wait for wait in waits if wait is not None), default=None)
    if longest is not None:
        raise SigninThrottled(f"too many wrong passwords; try again in {longest} seconds", longest)


def count_failure(unit: Unit, key: str, max_failures: int) -> None:
    """Count one wrong password against a key; audit it when that locks the key."""
    row = _locked_row(unit, key)
    count = throttle.after_failure(_count(row), unit.now, max_failures)
    row.window_started_at, row.failures, row.locked_until = count.window_started_at, count.failures, count.locked_until
    unit.session.flush()
    if count.locked_until is not None:
        unit.audit("signin.locked", ("signin", key), None, until=count.locked_until.isoformat())


def forget_failures(unit: Unit, key: str) -> None:
    """A right password clears the login's count (never an address's)."""
    unit.session.execute(delete(SigninThrottle).where(SigninThrottle.key == key))


def _locked_row(unit: Unit, key: str) -> SigninThrottle:
    unit.session.execute(_CREATE[unit.session.get_bind().dialect.name], {"key": key, "failures": 0})
    locked = select(SigninThrottle).where(SigninThrottle.key == key).with_for_update()
    return unit.session.scalars(locked.execution_options(populate_existing=True)).one()


def _count(row: SigninThrottle) -> throttle.Count:
    return throttle.Count(row.window_started_at, row.failures, row.locked_until)
