"""R-CARD-4: a card is valid for card_valid_years; expired cards go on the list, holders are told ahead."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sscard.cards.validity import NOTICE_DAYS, is_expired, last_valid_day, notice_due
from sscard.clock import FixedClock
from sscard.jobs import run_due_jobs
from tests.api import Api

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31))


@given(days, st.integers(min_value=1, max_value=50))
def test_r_card_4_the_last_valid_day_is_the_eve_of_the_anniversary(issued: date, years: int) -> None:
    last = last_valid_day(issued, years)
    assert last.year in (issued.year + years, issued.year + years - 1)
    assert not is_expired(last, last)
    assert is_expired(last, last + timedelta(days=1))
    assert 365 * years - 2 <= (last - issued).days <= 366 * years


def test_r_card_4_a_leap_day_issue_runs_to_the_end_of_february() -> None:
    assert last_valid_day(date(2024, 2, 29), 10) == date(2034, 2, 28)
    assert last_valid_day(date(2024, 2, 29), 4) == date(2028, 2, 28)
    assert last_valid_day(date(2026, 3, 2), 10) == date(2036, 3, 1)


@given(days, days)
def test_r_card_4_the_notice_comes_only_in_the_last_days_before_expiry(valid_until: date, today: date) -> None:
    expected = valid_until - timedelta(days=NOTICE_DAYS) <= today <= valid_until
    assert notice_due(valid_until, today) is expected


def card_of(api: Api, card_no: str) -> dict[str, object]:
    return dict(api.call("GET", f"/v1/cards/{card_no}", api.admin).json())


def test_r_card_4_every_card_carries_its_last_valid_day_from_the_regions_policy(api: Api) -> None:
    person = api.person("110101")
    card = api.card(person["person_id"])
    assert card["valid_until"] == "2036-03-01"  # issued on 2 March 2026 (START), ten years
    assert card["expired"] is False
    api.call("PUT", "/v1/regions/130700/policy", api.admin, json={"card_valid_years": 5})
    other = api.card(api.person("130702")["person_id"], "ZJKB")
    assert other["valid_until"] == "2031-03-01"


def test_r_card_4_the_regions_policy_bounds_card_valid_years(api: Api) -> None:
    response = api.call("PUT", "/v1/regions/110000/policy", api.admin, json={"card_valid_years": 0})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_policy"


def expire_at(clock: FixedClock, valid_until: str, days_after: int) -> None:
    """Move the clock to noon in Beijing `days_after` days after the last valid day."""
    day = date.fromisoformat(valid_until) + timedelta(days=days_after)
    clock.set(clock.now().replace(year=day.year, month=day.month, day=day.day, hour=4))


def test_r_card_4_an_expired_card_is_listed_once_and_declined(api: Api, clock: FixedClock) -> None:
    person = api.person("110101", phone="13800138000")
    card = api.card(person["person_id"])
    api.deposit(person["person_id"], 10_000)
    expire_at(clock, card["valid_until"], 0)
    terminal = api.terminal("110105")  # signed in now: tokens follow the clock
    run_due_jobs(api.rt)
    assert card_of(api, card["card_no"])["expired"] is False  # its last valid day still counts
    assert api.settle(terminal, card["card_no"], 100).status_code == 201
    expire_at(clock, card["valid_until"], 1)
    assert run_due_jobs(api.rt)["list_expired_cards"] == 1
    assert run_due_jobs(api.rt)["list_expired_cards"] == 0  # idempotent
    assert card_of(api, card["card_no"])["expired"] is True
    terminal = api.terminal("110105")
    inquiry = api.call("GET", f"/v1/invalid-list/inquiry?card_no={card['card_no']}", api.clerk).json()
    assert (inquiry["invalid"], inquiry["reason"]) == (True, "expired")
    declined = api.settle(terminal, card["card_no"], 100)
    assert (declined.status_code, declined.json()["code"]) == (402, "card_invalid")


def test_r_card_4_the_holder_is_told_thirty_days_ahead_once(api: Api, clock: FixedClock) -> None:
    person = api.person("110101", phone="13800138000")
    card = api.card(person["person_id"])
    expire_at(clock, card["valid_until"], -NOTICE_DAYS - 1)
    assert run_due_jobs(api.rt)["warn_expiring_cards"] == 0
    expire_at(clock, card["valid_until"], -NOTICE_DAYS)
    assert run_due_jobs(api.rt)["warn_expiring_cards"] == 1
    assert run_due_jobs(api.rt)["warn_expiring_cards"] == 0
    notes = api.call("GET", f"/v1/persons/{person['person_id']}/notifications", api.clerk).json()["items"]
    assert [n["kind"] for n in notes] == ["card_expiring"]
    assert card["card_no"][-4:] in notes[0]["text"]
    assert card["card_no"] not in notes[0]["text"]
    assert "2036-03-01" in notes[0]["text"]
    assert notes[0]["state"] == "sent"  # the jobs drain the outbox when they finish


@pytest.mark.parametrize("reason", ["expired"])
def test_r_card_4_an_expired_card_is_replaced_without_a_fee(api: Api, clock: FixedClock, reason: str) -> None:
    person = api.person("110101")
    card = api.card(person["person_id"])
    expire_at(clock, card["valid_until"], 1)
    run_due_jobs(api.rt)
    replacement = api.replace(card["card_no"], reason)
    assert replacement["fee"] == 0
