"""Changes travel as events: every way of activating a card runs the transfer (R-REP-6), and a
ready replacement is announced once (R-REP-3, R-NOTE-1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sscard.clock import FixedClock
from sscard.jobs import run_due_jobs
from tests.api import DEMO_PIN, Api
from tests.loss.test_replacement_api import apply, collected


def notes(api: Api, person: dict[str, Any]) -> list[dict[str, Any]]:
    return list(api.call("GET", f"/v1/persons/{person['person_id']}/notifications", api.clerk).json()["items"])


def test_r_rep_6_the_holder_activating_the_new_card_online_moves_the_balance(api: Api, clock: FixedClock) -> None:
    person = api.person("110101", phone="13800138000")
    card_no = api.card(person["person_id"])["card_no"]
    api.deposit(person["person_id"], 9_900)
    api.report_loss(card_no)
    replacement = apply(api, card_no).json()
    new_card = collected(api, clock, person, replacement)["new_card"]["card_no"]
    holder = api.holder(person)
    activated = api.call("POST", f"/v1/cards/{new_card}/activate", holder, json={"pin": DEMO_PIN})
    assert activated.status_code == 200, activated.text
    view = api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()
    assert (view["balance"], view["held"]) == (9_900, 0)
    kinds = [
        p["kind"] for p in api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.clerk).json()["items"]
    ]
    assert kinds[:2] == ["transfer_in", "transfer_out"]


def test_r_note_1_a_ready_replacement_is_announced_once_on_its_ready_day(api: Api, clock: FixedClock) -> None:
    person = api.person("110101", phone="13800138000")
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    replacement = apply(api, card_no).json()
    assert run_due_jobs(api.rt)["announce_ready_replacements"] == 0
    ready_on = date.fromisoformat(replacement["ready_on"])
    clock.set(datetime(ready_on.year, ready_on.month, ready_on.day, 1, tzinfo=UTC))  # 09:00 in Beijing
    assert run_due_jobs(api.rt)["announce_ready_replacements"] == 1
    assert run_due_jobs(api.rt)["announce_ready_replacements"] == 0
    kinds = [n["kind"] for n in notes(api, person)]
    assert kinds == ["replacement_ready", "loss_reported"]
    assert replacement["new_card_no"][-4:] in notes(api, person)[0]["text"]


def test_r_note_1_a_card_made_on_the_spot_is_announced_at_once(api: Api) -> None:
    api.call("PUT", "/v1/regions/110000/policy", api.admin, json={"production_working_days": 0})
    person = api.person("110101", phone="13800138000", language="en")
    card_no = api.card(person["person_id"])["card_no"]
    api.report_loss(card_no)
    apply(api, card_no)
    latest = notes(api, person)[0]
    assert latest["kind"] == "replacement_ready"
    assert latest["language"] == "en"
    assert latest["text"].startswith("[sscard] Your new card")
