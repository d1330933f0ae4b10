"""Offline charges need the card's proof (R-SET-6; API.md "The offline cryptogram").

A hostile terminal posted charges with no proof, on another city's card, dated before
the card existed and with no PIN; and backdated a charge to before the loss report to
make the holder bear it (R-LIA). Each refusal has its code and moves no money.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from sscard.clock import CHINA_STANDARD_TIME, FixedClock
from sscard.roles import Role
from sscard.terminal.card import SoftwareCard
from tests.api import Api
from tests.settlement.test_offline_api import (
    balance,
    compensations,
    funded_card,
    one,
    postings,
    report,
    results,
    tx,
    upload,
)

Json = dict[str, Any]


def later(clock: FixedClock, hours: float = 1) -> datetime:
    """Let time pass after the card's issue; the new now."""
    clock.advance(timedelta(hours=hours))
    return clock.now()


def test_r_set_6_offline_charges_without_proof_move_no_money(api: Api, clock: FixedClock) -> None:
    """The review's attack: three 200-yuan charges dated 2001, no PIN, no cryptogram."""
    zhangjiakou, zjk_card = funded_card(api, balance=100_000, region="130702")
    beijing, bj_card = funded_card(api, balance=100_000)
    later(clock)
    terminal = api.terminal("110105")
    dated_2001 = datetime(2001, 5, 1, 10, tzinfo=CHINA_STANDARD_TIME)
    unproven = [
        tx(f"{card}-{n}", card, dated_2001, amount=20_000) | {"pin_verified": False, "cryptogram": None}
        for card in (zjk_card, bj_card)
        for n in range(3)
    ]
    got = [(r["status"], r["code"]) for r in results(upload(api, terminal, *unproven))]
    assert got == [("rejected", "out_of_region")] * 3 + [("rejected", "cryptogram_invalid")] * 3
    assert (balance(api, zhangjiakou), balance(api, beijing)) == (100_000, 100_000)


def test_r_set_6_r_sec_1_a_terminal_is_believed_only_on_cards_of_its_city(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api, region="130702")
    at = later(clock) - timedelta(minutes=5)
    refused = one(api, api.terminal("110105"), tx("bj", card_no, at))
    assert (refused["status"], refused["code"]) == ("rejected", "out_of_region")
    assert one(api, api.terminal("130703"), tx("zjk", card_no, at))["status"] == "posted"
    assert balance(api, person) == 9_000


def forged(api: Api, terminal: dict[str, str], genuine: Json, change: str) -> Json:
    """The genuine transaction with one fact changed after the card signed it."""
    other_terminal = api.terminal()
    changes: dict[str, Json] = {
        "amount": {"amount": genuine["amount"] + 1},
        "category": {"category": "examination"},
        "occurred_at": {"occurred_at": datetime.fromisoformat(genuine["occurred_at"]).astimezone().isoformat()},
        "counter": {"counter": genuine["counter"] + 1},
        "pin_verified": api.prove(terminal, genuine | {"local_id": "unsigned-pin"}, pin_verified=False)
        | {"pin_verified": True},
        "terminal": {"cryptogram": api.prove(other_terminal, genuine)["cryptogram"]},
        "uppercase": {"cryptogram": genuine["cryptogram"].upper()},
        "missing": {"cryptogram": None},
        "no_counter": {"counter": None},
    }
    return genuine | changes[change] | {"local_id": f"forged-{change}"}


@pytest.mark.parametrize(
    "change",
    ["amount", "category", "occurred_at", "counter", "pin_verified", "terminal", "uppercase", "missing", "no_counter"],
)
def test_r_set_6_a_cryptogram_for_other_facts_is_refused(api: Api, clock: FixedClock, change: str) -> None:
    person, card_no = funded_card(api)
    at = later(clock) - timedelta(minutes=5)
    terminal = api.terminal()
    genuine = api.prove(terminal, tx("genuine", card_no, at))
    result = one(api, terminal, forged(api, terminal, genuine, change))
    assert (result["status"], result["code"]) == ("rejected", "cryptogram_invalid")
    assert balance(api, person) == 10_000
    assert one(api, terminal, genuine)["status"] == "posted"  # the forgery spent no counter


def test_r_set_6_a_counter_is_good_for_one_charge(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    at = later(clock) - timedelta(minutes=5)
    terminal = api.terminal()
    genuine = api.prove(terminal, tx("first", card_no, at))
    assert one(api, terminal, genuine)["status"] == "posted"
    replayed = one(api, terminal, genuine | {"local_id": "again"})
    chip = api.chip(card_no)
    chip.counter -= 1  # a cloned card signing a new charge with a spent counter
    resigned = one(api, terminal, api.prove(terminal, tx("clone", card_no, at, amount=2_000)))
    assert [(r["status"], r["code"]) for r in (replayed, resigned)] == [("rejected", "counter_reused")] * 2
    assert balance(api, person) == 9_000
    assert one(api, terminal, tx("next", card_no, at))["status"] == "posted"


def test_r_set_6_a_charge_the_card_made_without_the_pin_is_refused(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    at = later(clock)
    terminal = api.terminal()
    unverified = api.prove(terminal, tx("no-pin", card_no, at), pin_verified=False)
    result = one(api, terminal, unverified)
    assert (result["status"], result["code"]) == ("rejected", "pin_required")
    assert balance(api, person) == 10_000


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (timedelta(minutes=-6), "rejected"),
        (timedelta(minutes=-4), "posted"),
        (timedelta(hours=71, minutes=59), "posted"),
        (timedelta(hours=72, minutes=1), "rejected"),
        (timedelta(hours=101), "rejected"),  # before the card was issued (100 hours ago)
    ],
    ids=["future-6min", "future-4min-skew", "71h59", "72h01", "before-issue"],
)
def test_r_set_6_an_offline_charge_is_dated_within_its_window(
    api: Api, clock: FixedClock, age: timedelta, status: str
) -> None:
    person, card_no = funded_card(api)
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"offline_upload_hours": 200})
    assert put.status_code == 200, put.text
    now = later(clock, hours=100)
    chaoyang, haidian = api.terminal("110105"), api.terminal("110108")  # 200 hours, and the default 72
    terminal = chaoyang if age > timedelta(hours=90) else haidian
    result = one(api, terminal, tx("t", card_no, now - age))
    expected_code = None if status == "posted" else "offline_time_invalid"
    assert (result["status"], result.get("code")) == (status, expected_code)
    assert balance(api, person) == (9_000 if status == "posted" else 10_000)


def test_r_set_6_the_upload_window_is_the_institutions_policy(api: Api, clock: FixedClock) -> None:
    _, card_no = funded_card(api)
    put = api.call("PUT", "/v1/regions/110108/policy", api.admin, json={"offline_upload_hours": 24})
    assert put.status_code == 200, put.text
    at = later(clock, hours=30) - timedelta(hours=25)
    assert one(api, api.terminal("110108"), tx("h", card_no, at))["code"] == "offline_time_invalid"
    assert one(api, api.terminal("110105"), tx("c", card_no, at))["status"] == "posted"


def test_r_set_6_backdated_charge_before_report_is_refused(api: Api, clock: FixedClock) -> None:
    """R-LIA: a charge after the loss report is the bureau's; dating it earlier would make
    it the holder's. Only the card's own proof, a fresh counter and the window say when."""
    person, card_no = funded_card(api)
    later(clock, hours=2)
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(minutes=10))
    terminal = api.terminal()
    after = api.prove(terminal, tx("after", card_no, reported_at + timedelta(minutes=5), version=entry_version - 1))
    assert one(api, terminal, after)["status"] == "compensated"
    before = (reported_at - timedelta(minutes=30)).astimezone(CHINA_STANDARD_TIME).isoformat()
    attempts = [
        after | {"local_id": "moved", "occurred_at": before},  # the card's proof of another instant
        tx("invented", card_no, reported_at - timedelta(minutes=30))
        | {"counter": 99, "pin_verified": True, "cryptogram": "0" * 32},
        after | {"local_id": "replayed"},  # the genuine proof a second time
        api.prove(terminal, tx("long-ago", card_no, reported_at - timedelta(days=30))),
    ]
    got = [(r["status"], r["code"]) for r in results(upload(api, terminal, *attempts))]
    assert got == [
        ("rejected", "cryptogram_invalid"),
        ("rejected", "cryptogram_invalid"),
        ("rejected", "counter_reused"),
        ("rejected", "offline_time_invalid"),
    ]
    assert balance(api, person) == 10_000
    assert [c["liable"] for c in compensations(api, person)] == ["fund"]
    assert postings(api, person)[:2] == [("compensation", 1_000), ("settlement", -1_000)]


def test_r_set_6_the_personalization_record_is_the_admins_and_audited(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    path = f"/v1/cards/{card_no}/personalization"
    response = api.call("GET", path, api.admin)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    record = response.json()
    assert record == {"card_no": card_no, "card_key": api.rt.card_key(card_no).hex()}
    assert record["card_key"] == record["card_key"].lower()
    assert len(bytes.fromhex(record["card_key"])) == 32
    charge = tx("exported-key", card_no, later(clock))
    terminal = api.terminal()
    chip = SoftwareCard(card_no, bytes.fromhex(record["card_key"]))
    signed = chip.sign(
        amount=1_000, category="drug", occurred_at=charge["occurred_at"], terminal_id=api.terminal_id(terminal)
    )
    assert one(api, terminal, charge | signed)["status"] == "posted"
    assert balance(api, person) == 9_000
    for who, status in [
        (api.clerk, 403),
        (api.headers(Role.BANK, bank="ICBC"), 403),
        (api.holder(person), 403),
        (terminal, 403),
        (api.headers(Role.ADMIN, "130000"), 403),
        ({}, 401),
    ]:
        assert api.call("GET", path, who).status_code == status
    assert api.call("GET", "/v1/cards/1101059999999999/personalization", api.admin).status_code == 404
    events = api.call("GET", "/v1/audit", api.admin, params={"action": "card.personalization_export"}).json()["items"]
    assert [(e["object_type"], e["object_id"]) for e in events] == [("card", card_no)]
    assert record["card_key"] not in json.dumps(events)
