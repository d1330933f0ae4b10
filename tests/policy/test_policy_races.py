"""Two admins writing a region's policy or calendar for the first time, at once."""

from __future__ import annotations

from datetime import date

from sscard.policy.service import policy_for, set_day, update_policy
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from tests.concurrency import as_request, in_unit, race

ADMIN = Principal("admin.test", Role.ADMIN)


def test_first_policy_writes_at_once_both_land(committed_rt: Runtime) -> None:
    outcomes = race(
        as_request(committed_rt, ADMIN, lambda unit: update_policy(unit, "130700", {"pin_max_tries": 4}).region),
        as_request(committed_rt, ADMIN, lambda unit: update_policy(unit, "130700", {"hotline": "12345"}).region),
    )
    assert outcomes == ["130700", "130700"]
    policy = in_unit(committed_rt, ADMIN, lambda unit: policy_for(unit.session, "130700"))
    assert policy.pin_max_tries == 4
    assert policy.hotline == "12345"


def test_first_calendar_writes_for_one_day_at_once_both_land(committed_rt: Runtime) -> None:
    day = date(2026, 3, 9)
    outcomes = race(
        as_request(committed_rt, ADMIN, lambda unit: set_day(unit, "130700", day, False, "local holiday").working),
        as_request(committed_rt, ADMIN, lambda unit: set_day(unit, "130700", day, True, "make-up day").working),
    )
    assert sorted(outcomes, key=str) == [False, True]
