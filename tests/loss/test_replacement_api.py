"""Replacement through the API: application, production, collection, balance transfer.

R-REP-1 … R-REP-6 of DOMAIN.md; API.md /v1/cards/{no}/replacements and /v1/replacements.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response

from sscard.clock import FixedClock, china_date
from sscard.people.models import Account
from sscard.roles import Role
from sscard.runtime import Runtime
from tests import factories
from tests.api import DEMO_PIN, Api


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["code"] == code
    return body


def apply(api: Api, card_no: str, reason: str = "lost", **body: Any) -> Response:
    fields = {"reason": reason, "documents": ["resident_id_card", "photo"]} | body
    return api.call("POST", f"/v1/cards/{card_no}/replacements", api.clerk, json=fields)


def snapshot(api: Api, card_no: str) -> dict[str, Any]:
    """The card and its history: what a refusal must leave untouched."""
    card = api.call("GET", f"/v1/cards/{card_no}", api.admin)
    history = api.call("GET", f"/v1/cards/{card_no}/history", api.admin)
    assert card.status_code == history.status_code == 200
    card_state = card.json()
    if card_state["open_replacement"]:  # its production status follows the calendar, not the card
        del card_state["open_replacement"]["status"]
    return {"card": card_state, "history": history.json()["items"]}


def lost_card(api: Api, bank: str = "ICBC", region: str = "110101", balance: int = 0) -> tuple[dict[str, Any], str]:
    """A person whose card was reported lost provisionally."""
    person = api.person(region)
    card_no = str(api.card(person["person_id"], bank)["card_no"])
    if balance:
        api.deposit(person["person_id"], balance)
    api.report_loss(card_no)
    return person, card_no


def collect(api: Api, replacement: dict[str, Any], person: dict[str, Any], **changes: str) -> Response:
    body = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    return api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body | changes)


def collected(api: Api, clock: FixedClock, person: dict[str, Any], replacement: dict[str, Any]) -> dict[str, Any]:
    """Wait until the new card is ready and collect it."""
    clock.set(max(clock.now(), datetime.combine(date.fromisoformat(replacement["ready_on"]), datetime.min.time(), UTC)))
    response = collect(api, replacement, person)
    assert response.status_code == 200, response.text
    return dict(response.json())


def read_replacement(api: Api, replacement_id: int) -> dict[str, Any]:
    response = api.call("GET", f"/v1/replacements/{replacement_id}", api.clerk)
    assert response.status_code == 200, response.text
    return dict(response.json())


def postings(api: Api, person_id: int) -> list[tuple[str, int]]:
    items = api.call("GET", f"/v1/persons/{person_id}/postings", api.admin, params={"limit": 200}).json()["items"]
    return [(p["kind"], p["amount"]) for p in items]


def money(api: Api, rt: Runtime, person_id: int) -> tuple[int, int]:
    """(total balance as the API shows it, the part spendable now, i.e. not held)."""
    total = api.call("GET", f"/v1/persons/{person_id}", api.admin).json()["balance"]
    with rt.sessions() as session:
        account = session.get_one(Account, person_id)
        assert account.balance == total
        return total, account.balance - account.held


def transfer_step(api: Api, replacement_id: int, step: str, bank: str = "ICBC") -> Response:
    who = api.clerk if step == "clearing-notice" else api.headers(Role.BANK, bank=bank)
    return api.call("POST", f"/v1/replacements/{replacement_id}/{step}", who, json={})


# --- R-REP-1: reasons, and the loss report that must come first ------------------------


@pytest.mark.parametrize("reason", ["lost", "stolen"])
def test_r_rep_1_a_lost_or_stolen_card_needs_a_loss_report_first(api: Api, reason: str) -> None:
    person = api.person()
    card_no = api.card(person["person_id"])["card_no"]
    before = snapshot(api, card_no)
    assert_problem(apply(api, card_no, reason), 409, "loss_report_required")
    assert snapshot(api, card_no) == before
    api.report_loss(card_no)  # a provisional report is enough
    assert apply(api, card_no, reason).json()["fee"] == 2_000  # R-REP-2: the default fee


@pytest.mark.parametrize(("reason", "fee"), [("damaged", 2000), ("demagnetized", 0), ("expired", 0)])
def test_r_rep_1_2_damaged_demagnetized_expired_need_no_report_and_pay_the_default_fee(
    api: Api, reason: str, fee: int
) -> None:
    person = api.person()
    card_no = api.card(person["person_id"])["card_no"]
    api.deposit(person["person_id"], 5_000)
    response = apply(api, card_no, reason)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["reason"], body["fee"], body["status"], body["old_card_no"]) == (reason, fee, "in_production", card_no)
    assert body["new_card_no"] != card_no
    assert snapshot(api, card_no)["card"]["status"] == "active"  # R-REP-5: until the new one is issued
    assert postings(api, person["person_id"]) == [("deposit", 5_000)]


def test_r_rep_1_a_second_application_or_a_replaced_card_is_refused(api: Api, clock: FixedClock) -> None:
    person, card_no = lost_card(api)
    replacement = apply(api, card_no).json()
    before = snapshot(api, card_no)
    assert_problem(apply(api, card_no, "damaged"), 409, "replacement_exists")
    assert snapshot(api, card_no) == before
    collected(api, clock, person, replacement)
    before = snapshot(api, card_no)
    assert_problem(apply(api, card_no, "damaged"), 409, "card_not_replaceable")
    report = {"kind": "provisional", "channel": "written", "reporter": api.caller_of(card_no)}
    assert_problem(api.call("POST", f"/v1/cards/{card_no}/loss-reports", api.clerk, json=report), 409,
                   "card_not_reportable")  # fmt: skip
    assert_problem(api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={}), 409,
                   "card_not_lost")  # fmt: skip
    assert snapshot(api, card_no) == before


def test_r_rep_1_a_never_activated_card_in_hand_is_not_replaceable(api: Api) -> None:
    person = api.person()
    card_no = api.card(person["person_id"], activate=False)["card_no"]
    assert_problem(apply(api, card_no, "damaged"), 409, "card_not_replaceable")


def test_r_rep_1_r_loss_8_a_clerk_or_the_cards_own_bank_applies_and_for_a_cooperative_bank(api: Api) -> None:
    _, card_no = lost_card(api)
    body = {"reason": "lost", "documents": ["resident_id_card", "photo"]}
    for who in (api.admin, api.headers(Role.BANK, bank="BOC"), api.headers(Role.OPERATOR)):
        assert_problem(api.call("POST", f"/v1/cards/{card_no}/replacements", who, json=body), 403, "forbidden")
    own_bank_elsewhere = body | {"bank": "BOC"}
    assert_problem(
        api.call(
            "POST", f"/v1/cards/{card_no}/replacements", api.headers(Role.BANK, bank="ICBC"), json=own_bank_elsewhere
        ),
        403,
        "forbidden",
    )
    assert_problem(apply(api, card_no, bank="NOBANK"), 422, "unknown_bank")
    assert_problem(apply(api, card_no, "misplaced"), 422, "invalid_request")
    assert apply(api, card_no).status_code == 201  # none of the refusals left a replacement behind


# --- R-REP-2: documents and the fee ----------------------------------------------------


@pytest.mark.parametrize(
    ("applicant", "documents", "missing"),
    [
        (None, [], ["resident_id_card", "photo"]),
        (None, ["resident_id_card"], ["photo"]),
        (None, ["photo", "employer_certificate"], ["resident_id_card"]),
        ("agent", ["agent_id_card", "photo"], ["client_id_card", "client_id_card_copy"]),
        ("agent", ["resident_id_card"], ["agent_id_card", "client_id_card", "client_id_card_copy", "photo"]),
    ],
)
def test_r_rep_2_identity_and_a_photo_are_required(
    api: Api, applicant: str | None, documents: list[str], missing: list[str]
) -> None:
    _, card_no = lost_card(api)
    agent = {"relation": "agent", "name": "李秀英", "id_number": factories.id_number("110102"), "reason": "old age"}
    before = snapshot(api, card_no)
    refused = apply(api, card_no, documents=documents, applicant=agent if applicant else None)
    assert assert_problem(refused, 422, "documents_missing")["missing"] == missing
    assert snapshot(api, card_no) == before


def test_r_rep_2_an_agent_or_the_household_register_will_do(api: Api) -> None:
    _, card_no = lost_card(api)
    assert apply(api, card_no, documents=["household_register", "photo"]).status_code == 201
    _, other = lost_card(api)
    agent = {"relation": "agent", "name": "李秀英", "id_number": factories.id_number("110102"), "reason": "old age"}
    documents = ["agent_id_card", "client_id_card", "client_id_card_copy", "photo"]
    assert apply(api, other, applicant=agent, documents=documents).status_code == 201
    assert_problem(apply(api, lost_card(api)[1], documents=["photo", "selfie"]), 422, "invalid_request")


def test_r_rep_2_a_regions_fee_applies_and_is_never_taken_from_the_account(api: Api) -> None:
    fees = {"fees": {"lost": 3_500}}
    assert api.call("PUT", "/v1/regions/110000/policy", api.admin, json=fees).status_code == 200
    person, card_no = lost_card(api, balance=10_000)
    assert apply(api, card_no, "lost").json()["fee"] == 3_500
    other, other_card = lost_card(api, region="510703")
    assert apply(api, other_card, "lost").json()["fee"] == 2_000
    assert postings(api, person["person_id"]) == [("deposit", 10_000)]
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.admin).json()["balance"] == 10_000
    assert postings(api, other["person_id"]) == []


# --- R-REP-3 / R-REP-4: production in working days, the collection certificate ---------


@pytest.mark.parametrize(
    ("applied_at", "ready_on"),
    [
        (datetime(2026, 3, 2, 2, 0, tzinfo=UTC), date(2026, 3, 23)),  # Mon 2 Mar: 3–6, 9–13, 16–20, 23
        (datetime(2026, 2, 10, 2, 0, tzinfo=UTC), date(2026, 3, 9)),  # 11–14 Feb (Sat 14 worked), 24–28, 2–6, 9
        (datetime(2026, 2, 13, 2, 0, tzinfo=UTC), date(2026, 3, 12)),  # 14, 24–28, 2–6, 9–12
        (datetime(2026, 2, 13, 20, 0, tzinfo=UTC), date(2026, 3, 13)),  # 04:00 on 14 Feb in China: 24–28, 2–6, 9–13
        (datetime(2026, 2, 17, 2, 0, tzinfo=UTC), date(2026, 3, 13)),  # in the holiday: 24–28, 2–6, 9–13
    ],
)
def test_r_rep_3_ready_on_counts_chinas_working_days(
    api: Api, clock: FixedClock, applied_at: datetime, ready_on: date
) -> None:
    clock.set(applied_at)
    _, card_no = lost_card(api)
    body = apply(api, card_no).json()
    today = china_date(applied_at)
    assert date.fromisoformat(body["ready_on"]) == ready_on
    assert date.fromisoformat(body["certificate_valid_until"]) == today + timedelta(days=60)  # R-REP-4
    assert body["status"] == "in_production"
    assert body["collection_certificate_no"]


def test_r_rep_3_a_regions_own_days_move_ready_on(api: Api) -> None:
    day_off = {"working": False, "note": "local holiday"}
    assert api.call("PUT", "/v1/regions/110000/calendar/2026-03-23", api.admin, json=day_off).status_code == 200
    _, card_no = lost_card(api)
    assert apply(api, card_no).json()["ready_on"] == "2026-03-24"
    extra = {"working": True, "note": "make-up day"}
    assert api.call("PUT", "/v1/regions/510700/calendar/2026-03-07", api.admin, json=extra).status_code == 200
    _, mianyang_card = lost_card(api, region="510703")
    assert apply(api, mianyang_card).json()["ready_on"] == "2026-03-20"


def test_r_rep_3_zero_production_days_is_ready_on_the_spot(api: Api) -> None:
    assert (
        api.call("PUT", "/v1/regions/510000/policy", api.admin, json={"production_working_days": 0}).status_code == 200
    )
    person, card_no = lost_card(api, region="510703")
    body = apply(api, card_no).json()
    assert (body["ready_on"], body["status"]) == ("2026-03-02", "ready")
    assert collect(api, body, person).status_code == 200


def test_r_rep_4_collection_needs_the_holders_id_and_certificate_once_ready(api: Api, clock: FixedClock) -> None:
    person, card_no = lost_card(api)
    replacement = apply(api, card_no).json()
    clock.set(datetime(2026, 3, 22, 15, 59, tzinfo=UTC))  # 23:59 in China on the day before ready_on
    before = snapshot(api, card_no)
    assert assert_problem(collect(api, replacement, person), 409, "not_ready")["ready_on"] == "2026-03-23"
    clock.set(datetime(2026, 3, 22, 16, 0, tzinfo=UTC))  # 00:00 on 23 March in China
    assert read_replacement(api, replacement["replacement_id"])["status"] == "ready"
    wrong_id = collect(api, replacement, person, id_number=factories.id_number())
    assert_problem(wrong_id, 403, "certificate_mismatch")
    wrong_certificate = collect(api, replacement, person, collection_certificate_no="110101" + "0" * 10)
    assert_problem(wrong_certificate, 403, "certificate_mismatch")
    assert snapshot(api, card_no) == before
    assert collect(api, replacement, person, id_number=person["id_number"].lower()).status_code == 200
    after = (snapshot(api, card_no), snapshot(api, replacement["new_card_no"]))
    assert_problem(collect(api, replacement, person), 409, "already_collected")
    assert (snapshot(api, card_no), snapshot(api, replacement["new_card_no"])) == after
    assert read_replacement(api, replacement["replacement_id"])["status"] == "collected"


def test_r_rep_4_another_bank_cannot_read_the_replacement_and_its_certificate(api: Api) -> None:
    """R-REP-4: the collection certificate number is what collects the new card. A bank
    sees only its own cards (GET /v1/cards/{no} is 403 for another bank), so a bank that
    holds neither the old nor the new card must not read the replacement either."""
    _, card_no = lost_card(api)
    replacement = apply(api, card_no).json()
    path = f"/v1/replacements/{replacement['replacement_id']}"
    assert api.call("GET", path, api.headers(Role.BANK, bank="ICBC")).status_code == 200
    assert_problem(api.call("GET", f"/v1/cards/{card_no}", api.headers(Role.BANK, bank="CCB")), 403, "forbidden")
    assert_problem(api.call("GET", path, api.headers(Role.BANK, bank="CCB")), 403, "forbidden")


# --- R-REP-5: the new card -----------------------------------------------------------------


def test_r_rep_5_the_new_card_has_its_own_number_no_pin_and_replaces_the_old(api: Api, clock: FixedClock) -> None:
    person, card_no = lost_card(api)
    replacement = apply(api, card_no).json()
    body = collected(api, clock, person, replacement)
    new, old = body["new_card"], body["old_card"]
    assert new["card_no"] == replacement["new_card_no"] != card_no
    assert (new["status"], new["pin_locked"], new["activated_at"]) == ("unactivated", False, None)
    assert (new["replacement_for"], old["replaced_by"], old["status"]) == (card_no, new["card_no"], "replaced")
    history = snapshot(api, new["card_no"])["history"]
    assert [(h["from"], h["to"], h["reason"]) for h in history] == [(None, "unactivated", "issued_as_replacement")]
    assert snapshot(api, card_no)["history"][-1]["to"] == "replaced"
    # The old card's PIN was not copied: it opens nothing on the new card.
    change = {"old_pin": DEMO_PIN, "new_pin": "135790"}
    assert_problem(api.call("PUT", f"/v1/cards/{new['card_no']}/pin", api.holder(person), json=change), 409,
                   "card_not_active")  # fmt: skip
    assert_problem(api.call("POST", f"/v1/cards/{new['card_no']}/activate", api.clerk, json={}), 422, "invalid_request")
    assert snapshot(api, new["card_no"])["history"] == history
    cards = api.call("GET", f"/v1/persons/{person['person_id']}", api.admin).json()["cards"]
    assert sorted(c["status"] for c in cards) == ["replaced", "unactivated"]
    again = api.call("POST", f"/v1/persons/{person['person_id']}/cards", api.clerk, json={"bank": "ICBC"})
    assert_problem(again, 409, "card_exists")


# --- R-REP-6: the balance follows the card ----------------------------------------------------


def test_r_rep_6_same_bank_balance_is_held_then_moves_on_activation(api: Api, rt: Runtime, clock: FixedClock) -> None:
    person, card_no = lost_card(api, balance=12_345)
    pid = person["person_id"]
    replacement = apply(api, card_no).json()
    body = collected(api, clock, person, replacement)
    state = read_replacement(api, replacement["replacement_id"])
    assert (state["transfer"]["held_amount"], state["transfer"]["transferred_at"]) == (12_345, None)
    assert money(api, rt, pid) == (12_345, 0)
    api.deposit(pid, 500)  # a contribution after collection is spendable at once
    assert money(api, rt, pid) == (12_845, 500)
    for step in ("clearing-notice", "bank-cancellation"):
        assert_problem(transfer_step(api, replacement["replacement_id"], step), 409, "not_cross_bank")
    assert money(api, rt, pid) == (12_845, 500)
    activated = api.call("POST", f"/v1/cards/{body['new_card']['card_no']}/activate", api.clerk, json={"pin": "135790"})
    assert activated.status_code == 200, activated.text
    assert read_replacement(api, replacement["replacement_id"])["transfer"]["transferred_at"] is not None
    assert postings(api, pid)[:2] == [("transfer_in", 12_345), ("transfer_out", -12_345)]
    assert money(api, rt, pid) == (12_845, 12_845)


def test_r_rep_6_an_empty_account_moves_nothing_and_posts_nothing(api: Api, rt: Runtime, clock: FixedClock) -> None:
    person, card_no = lost_card(api)
    replacement = apply(api, card_no).json()
    new_no = collected(api, clock, person, replacement)["new_card"]["card_no"]
    assert api.call("POST", f"/v1/cards/{new_no}/activate", api.clerk, json={"pin": "135790"}).status_code == 200
    transfer = read_replacement(api, replacement["replacement_id"])["transfer"]
    assert (transfer["held_amount"], transfer["transferred_at"] is not None) == (0, True)
    assert postings(api, person["person_id"]) == []
    assert money(api, rt, person["person_id"]) == (0, 0)


@pytest.mark.parametrize("order", [("clearing-notice", "bank-cancellation"), ("bank-cancellation", "clearing-notice")])
@pytest.mark.parametrize("steps_before_collection", [0, 1, 2])
def test_r_rep_6_another_bank_waits_for_notice_and_cancellation_in_either_order(
    api: Api, rt: Runtime, clock: FixedClock, order: tuple[str, str], steps_before_collection: int
) -> None:
    person, card_no = lost_card(api, balance=9_999)
    pid = person["person_id"]
    replacement = apply(api, card_no, bank="CCB").json()
    rid = replacement["replacement_id"]
    assert replacement["new_bank"] == "CCB"
    for step in order[:steps_before_collection]:
        assert transfer_step(api, rid, step).status_code == 200
    body = collected(api, clock, person, replacement)
    assert body["new_card"]["bank"] == "CCB"
    for step in order[steps_before_collection:]:
        assert read_replacement(api, rid)["transfer"]["transferred_at"] is None
        assert money(api, rt, pid) == (9_999, 0)
        first = transfer_step(api, rid, step)
        assert first.status_code == 200, first.text
        clock.advance(timedelta(minutes=5))
        repeat = transfer_step(api, rid, step)  # a repeated step changes nothing, not even its time
        assert (repeat.status_code, repeat.json()["transfer"]) == (200, first.json()["transfer"])
    state = read_replacement(api, rid)["transfer"]
    assert state["held_amount"] == 9_999
    assert None not in (state["clearing_notice_at"], state["bank_cancellation_at"], state["transferred_at"])
    assert postings(api, pid) == [("transfer_in", 9_999), ("transfer_out", -9_999), ("deposit", 9_999)]
    assert money(api, rt, pid) == (9_999, 9_999)
    for step in order:
        assert transfer_step(api, rid, step).status_code == 200
    assert len(postings(api, pid)) == 3


def test_r_rep_6_deposits_after_collection_stay_spendable_across_banks(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    person, card_no = lost_card(api, balance=4_000)
    pid = person["person_id"]
    replacement = apply(api, card_no, bank="CCB").json()
    collected(api, clock, person, replacement)
    deposit = api.call("POST", f"/v1/persons/{pid}/deposits", api.headers(Role.BANK, bank="CCB"), json={"amount": 700})
    assert deposit.status_code == 201, deposit.text
    assert money(api, rt, pid) == (4_700, 700)
    transfer_step(api, replacement["replacement_id"], "clearing-notice")
    assert money(api, rt, pid) == (4_700, 700)
    transfer_step(api, replacement["replacement_id"], "bank-cancellation")
    assert money(api, rt, pid) == (4_700, 4_700)


def test_r_rep_6_only_the_old_cards_bank_confirms_the_cancellation(api: Api, rt: Runtime, clock: FixedClock) -> None:
    person, card_no = lost_card(api, balance=1_000)
    replacement = apply(api, card_no, bank="CCB").json()
    collected(api, clock, person, replacement)
    rid = replacement["replacement_id"]
    assert_problem(transfer_step(api, rid, "bank-cancellation", bank="CCB"), 403, "forbidden")
    clerk = api.call("POST", f"/v1/replacements/{rid}/bank-cancellation", api.clerk, json={})
    assert_problem(clerk, 403, "forbidden")
    bank = api.call("POST", f"/v1/replacements/{rid}/clearing-notice", api.headers(Role.BANK, bank="ICBC"), json={})
    assert_problem(bank, 403, "forbidden")
    state = read_replacement(api, rid)["transfer"]
    assert (state["clearing_notice_at"], state["bank_cancellation_at"]) == (None, None)
    assert money(api, rt, person["person_id"]) == (1_000, 0)


def test_r_rep_6_the_bank_events_follow_a_replacement_across_banks(api: Api, clock: FixedClock) -> None:
    person, card_no = lost_card(api)
    since = {b: api.call("GET", "/v1/bank-events", api.headers(Role.BANK, bank=b)).json()["next_since"]
             for b in ("ICBC", "CCB")}  # fmt: skip
    replacement = apply(api, card_no, bank="CCB").json()
    collected(api, clock, person, replacement)

    def events(bank: str) -> list[tuple[str, str, Any]]:
        page = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, bank=bank), params={"since": since[bank]})
        return [(e["kind"], e["card_no"], e["detail"].get("step")) for e in page.json()["items"]]

    assert events("ICBC") == [("replacement", card_no, "applied"), ("replacement", card_no, "collected")]
    new_no = replacement["new_card_no"]
    assert events("CCB") == [("replacement", new_no, "applied"), ("replacement", new_no, "collected")]


def test_r_rep_6_a_replaced_replacement_card_still_frees_the_first_balance(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    """R-REP-6: A → B (never activated, lost again) → C at the same bank. Once C is
    activated the whole balance is the person's to spend; no fen stays held forever."""
    person, card_a = lost_card(api, balance=5_000)
    pid = person["person_id"]
    first = apply(api, card_a).json()
    card_b = collected(api, clock, person, first)["new_card"]["card_no"]
    api.report_loss(card_b)
    second = apply(api, card_b).json()
    card_c = collected(api, clock, person, second)["new_card"]["card_no"]
    activated = api.call("POST", f"/v1/cards/{card_c}/activate", api.clerk, json={"pin": "135790"})
    assert activated.status_code == 200, activated.text
    assert money(api, rt, pid)[0] == 5_000
    assert money(api, rt, pid) == (5_000, 5_000)
