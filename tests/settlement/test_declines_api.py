"""Declines, refunds, balance inquiry, e-certificate expiry, idempotency and metrics.

R-SET-1 … R-SET-4, R-CARD-3, R-LIA-2; API.md /v1/settlements, …/refund,
/v1/cards/{no}/balance-inquiry, /v1/persons/{id}/e-certificates, /metrics.
The declines test_settlement_api.py already covers are not repeated here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from sscard.clock import CHINA_STANDARD_TIME, FixedClock
from sscard.jobs import run_due_jobs
from sscard.roles import Principal, Role
from sscard.runtime import Runtime
from sscard.settlement.models import Settlement
from tests.api import DEMO_PIN, Api

Json = dict[str, Any]


def funded_card(api: Api, balance: int = 10_000, bank: str = "ICBC") -> tuple[Json, str]:
    person = api.person("110105")
    card_no = str(api.card(int(person["person_id"]), bank)["card_no"])
    if balance:
        api.deposit(int(person["person_id"]), balance)
    return person, card_no


def balance(api: Api, person: Json) -> int:
    return int(api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"])


def decline(response: Response, code: str) -> None:
    assert response.status_code == 402, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def pharmacy(api: Api, region: str = "110105") -> tuple[int, dict[str, str]]:
    """A designated pharmacy: its id and its first terminal's headers."""
    body = {"name": "同仁堂药店", "kind": "pharmacy", "region": region, "designated": True}
    institution_id = int(api.call("POST", "/v1/institutions", api.admin, json=body).json()["institution_id"])
    return institution_id, terminal_of(api, institution_id, region)


def terminal_of(api: Api, institution_id: int, region: str = "110105") -> dict[str, str]:
    created = api.call("POST", f"/v1/institutions/{institution_id}/terminals", api.admin)
    assert created.status_code == 201, created.text
    principal = Principal(
        subject=created.json()["terminal_id"], role=Role.TERMINAL, region=region, institution_id=institution_id
    )
    return api.as_principal(principal)


def recorded(rt: Runtime, card_no: str) -> list[tuple[str, str | None, int | None]]:
    """Every attempt recorded for a card: (status, code, person_id), oldest first."""
    with rt.sessions() as session:
        rows = session.scalars(select(Settlement).where(Settlement.card_no == card_no).order_by(Settlement.id))
        return [(row.status, row.code, row.person_id) for row in rows]


def ecert(api: Api, person: Json) -> str:
    response = api.call("POST", f"/v1/persons/{person['person_id']}/e-certificates", api.holder(person))
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def pay_with(api: Api, terminal: dict[str, str], token: str, amount: int = 500) -> Response:
    return api.call(
        "POST", "/v1/settlements", terminal, json={"ecert_token": token, "amount": amount, "category": "drug"}
    )


# --- declines (R-SET-1, R-SET-2, R-CARD-3) ---------------------------------------------------


def test_r_card_1_a_card_not_yet_activated_is_declined_card_not_active(api: Api, rt: Runtime) -> None:
    person = api.person("110105")
    api.deposit(int(person["person_id"]), 5_000)
    card_no = str(api.card(int(person["person_id"]), activate=False)["card_no"])
    decline(api.settle(api.terminal(), card_no, 100), "card_not_active")
    assert balance(api, person) == 5_000
    assert recorded(rt, card_no) == [("declined", "card_not_active", None)]


@pytest.mark.parametrize("category", ["", "DRUG", "cosmetics", "withdrawal", "drugs"])
def test_r_set_1_only_the_five_medical_categories_settle(api: Api, category: str) -> None:
    person, card_no = funded_card(api)
    decline(api.settle(api.terminal(), card_no, 100, category=category), "category_not_allowed")
    assert balance(api, person) == 10_000


@pytest.mark.parametrize("category", ["drug", "treatment", "examination", "material", "hospital_stay"])
def test_r_set_1_each_medical_category_settles(api: Api, category: str) -> None:
    _, card_no = funded_card(api)
    response = api.settle(api.terminal(), card_no, 100, category=category)
    assert response.status_code == 201, response.text


def test_declined_attempts_are_recorded_without_moving_money(api: Api, rt: Runtime) -> None:
    person, card_no = funded_card(api, balance=1_000)
    terminal = api.terminal()
    decline(api.settle(terminal, card_no, 100, pin="000000"), "pin_incorrect")
    decline(api.settle(terminal, card_no, 2_000), "insufficient_balance")
    decline(api.settle(terminal, card_no, 100, category="cash"), "category_not_allowed")
    assert api.settle(terminal, card_no, 400).status_code == 201
    pid = int(person["person_id"])
    assert recorded(rt, card_no) == [
        ("declined", "pin_incorrect", None),
        ("declined", "insufficient_balance", pid),
        ("declined", "category_not_allowed", None),
        ("approved", None, pid),
    ]
    assert balance(api, person) == 600


def test_r_set_2_a_wrong_pin_on_a_listed_card_is_card_invalid_and_not_counted(api: Api) -> None:
    """The list is checked first: a PIN is never tried on an invalid card."""
    _, card_no = funded_card(api)
    api.report_loss(card_no)
    terminal = api.terminal()
    for _ in range(3):
        decline(api.settle(terminal, card_no, 100, pin="999999"), "card_invalid")
    assert api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={}).status_code == 200
    assert api.settle(terminal, card_no, 100).status_code == 201


def test_r_card_3_a_pin_lock_holds_until_unlocked(api: Api) -> None:
    _, card_no = funded_card(api)
    terminal = api.terminal()
    for _ in range(3):
        api.settle(terminal, card_no, 100, pin="111111")
    decline(api.settle(terminal, card_no, 100), "pin_locked")
    assert api.call("POST", f"/v1/cards/{card_no}/pin/unlock", api.clerk, json={}).status_code == 200
    assert api.settle(terminal, card_no, 100).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 100, "category": "drug"},
        {"amount": 100, "category": "drug", "card_no": "X", "pin": DEMO_PIN, "ecert_token": "t"},
        {"amount": 100, "category": "drug", "ecert_token": "t", "pin": DEMO_PIN},
        {"amount": 100, "category": "drug", "card_no": "X"},
        {"amount": 0, "category": "drug", "ecert_token": "t"},
    ],
    ids=["neither", "both", "token-and-pin", "card-without-pin", "zero-amount"],
)
def test_a_settlement_pays_with_the_card_and_pin_or_an_e_certificate(api: Api, body: Json) -> None:
    response = api.call("POST", "/v1/settlements", api.terminal(), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


def test_only_terminals_settle(api: Api) -> None:
    _, card_no = funded_card(api)
    body = {"card_no": card_no, "pin": DEMO_PIN, "amount": 100, "category": "drug"}
    assert api.call("POST", "/v1/settlements", api.clerk, json=body).json()["code"] == "forbidden"
    assert api.call("POST", "/v1/settlements", json=body).status_code == 401


# --- e-certificates (R-SET-3) -----------------------------------------------------------------


def test_r_set_3_an_e_certificate_expires_after_the_regions_seconds(api: Api, clock: FixedClock) -> None:
    person, _ = funded_card(api)
    terminal = api.terminal()
    early, late = ecert(api, person), ecert(api, person)
    clock.advance(timedelta(seconds=59))
    assert pay_with(api, terminal, early).status_code == 201
    clock.advance(timedelta(seconds=1))
    decline(pay_with(api, terminal, late), "ecert_expired")
    assert balance(api, person) == 9_500


def test_r_set_3_the_validity_follows_the_holders_regional_policy(api: Api, clock: FixedClock) -> None:
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"ecert_valid_seconds": 300})
    assert put.status_code == 200, put.text
    person, _ = funded_card(api)
    issued = api.call("POST", f"/v1/persons/{person['person_id']}/e-certificates", api.holder(person)).json()
    assert datetime.fromisoformat(issued["expires_at"]) == clock.now() + timedelta(seconds=300)
    token = issued["token"]
    clock.advance(timedelta(seconds=299))
    assert pay_with(api, api.terminal(), token).status_code == 201


def test_r_set_3_an_unknown_token_is_ecert_expired(api: Api) -> None:
    decline(pay_with(api, api.terminal(), "not-a-token"), "ecert_expired")
    decline(pay_with(api, api.terminal(), "x" * 64), "ecert_expired")


def test_r_set_3_an_e_certificate_is_issued_only_to_the_holder(api: Api) -> None:
    person, _ = funded_card(api)
    other = api.person("110105")
    path = f"/v1/persons/{person['person_id']}/e-certificates"
    assert api.call("POST", path, api.holder(other)).status_code == 403
    assert api.call("POST", path, api.clerk).status_code == 403


def test_r_set_1_a_refusal_before_redeeming_leaves_the_e_certificate_usable(api: Api) -> None:
    person, _ = funded_card(api)
    token = ecert(api, person)
    decline(pay_with(api, api.terminal(designated=False), token), "institution_not_designated")
    body = {"ecert_token": token, "amount": 100, "category": "cash"}
    decline(api.call("POST", "/v1/settlements", api.terminal(), json=body), "category_not_allowed")
    assert pay_with(api, api.terminal(), token).status_code == 201


# --- refunds ------------------------------------------------------------------------------------


def refund(api: Api, terminal: dict[str, str], settlement_id: int, amount: int | None = None) -> Response:
    body = None if amount is None else {"amount": amount}
    return api.call("POST", f"/v1/settlements/{settlement_id}/refund", terminal, json=body)


def test_a_refund_comes_only_from_the_settling_institution(api: Api) -> None:
    person, card_no = funded_card(api)
    institution_id, terminal = pharmacy(api)
    settlement_id = int(api.settle(terminal, card_no, 3_000).json()["settlement_id"])
    elsewhere = refund(api, api.terminal(), settlement_id)
    assert elsewhere.status_code == 404, elsewhere.text
    assert refund(api, terminal, 999_999).status_code == 404
    assert refund(api, api.clerk, settlement_id).status_code == 403
    colleague = refund(api, terminal_of(api, institution_id), settlement_id, 1_000)
    assert colleague.status_code == 201, colleague.text
    assert balance(api, person) == 8_000


def test_refunds_in_parts_never_exceed_the_charge_in_total(api: Api) -> None:
    person, card_no = funded_card(api)
    terminal = api.terminal()
    settlement_id = int(api.settle(terminal, card_no, 3_000).json()["settlement_id"])
    assert [refund(api, terminal, settlement_id, 1_000).status_code for _ in range(3)] == [201, 201, 201]
    exceeded = refund(api, terminal, settlement_id, 1)
    assert exceeded.status_code == 409
    assert (exceeded.json()["code"], exceeded.json()["refundable"]) == ("refund_exceeds_charge", 0)
    assert refund(api, terminal, settlement_id).json()["code"] == "refund_exceeds_charge"
    assert refund(api, terminal, settlement_id, 0).status_code == 422
    assert balance(api, person) == 10_000


def test_a_declined_settlement_is_not_refundable(api: Api, rt: Runtime) -> None:
    person, card_no = funded_card(api, balance=500)
    terminal = api.terminal()
    decline(api.settle(terminal, card_no, 1_000), "insufficient_balance")
    with rt.sessions() as session:
        declined_id = session.scalars(select(Settlement.id).where(Settlement.card_no == card_no)).one()
    refused = refund(api, terminal, declined_id, 100)
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_refundable"
    assert balance(api, person) == 500


def offline(api: Api, terminal: dict[str, str], card_no: str, clock: FixedClock, local_id: str) -> Json:
    transaction = {
        "local_id": local_id,
        "card_no": card_no,
        "amount": 1_000,
        "category": "drug",
        "occurred_at": clock.now().astimezone(CHINA_STANDARD_TIME).isoformat(),
        "list_version": 0,
    }
    response = api.call(
        "POST", "/v1/settlements/offline", terminal, json={"transactions": [api.prove(terminal, transaction)]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def test_r_lia_2_a_compensated_offline_charge_is_not_refundable(api: Api, clock: FixedClock) -> None:
    """The holder already has the money back; a refund would pay it twice."""
    person, card_no = funded_card(api)
    api.report_loss(card_no)
    clock.advance(timedelta(minutes=1))
    terminal = api.terminal()
    result = offline(api, terminal, card_no, clock, "after-report")
    assert result["status"] == "compensated"
    refused = refund(api, terminal, int(result["settlement_id"]))
    assert (refused.status_code, refused.json()["code"]) == (409, "not_refundable")
    assert balance(api, person) == 10_000


def test_a_posted_offline_charge_can_be_refunded(api: Api, clock: FixedClock) -> None:
    """Money an offline charge took is money charged: the pharmacy can give it back."""
    person, card_no = funded_card(api)
    terminal = api.terminal()
    result = offline(api, terminal, card_no, clock, "returned-goods")
    assert result["status"] == "posted"
    response = refund(api, terminal, int(result["settlement_id"]), 400)
    assert response.status_code == 201, response.text
    assert balance(api, person) == 9_400


# --- balance inquiry (R-SET-4) ------------------------------------------------------------------


def inquire(api: Api, who: dict[str, str], card_no: str, pin: str = DEMO_PIN) -> Response:
    return api.call("POST", f"/v1/cards/{card_no}/balance-inquiry", who, json={"pin": pin})


def test_r_set_4_a_terminal_or_the_cards_bank_reads_the_balance(api: Api) -> None:
    _, card_no = funded_card(api, balance=4_321)
    for who in (api.terminal(), api.headers(Role.BANK, bank="ICBC")):
        response = inquire(api, who, card_no)
        assert response.status_code == 200, response.text
        assert response.json() == {"balance": 4_321, "held": 0}
    assert inquire(api, api.headers(Role.BANK, bank="CCB"), card_no).status_code == 403
    assert inquire(api, api.clerk, card_no).status_code == 403
    assert inquire(api, api.terminal(), card_no, pin="12345").status_code == 422


def test_r_card_3_wrong_pins_at_a_balance_inquiry_count_toward_the_lock(api: Api) -> None:
    _, card_no = funded_card(api)
    terminal = api.terminal()
    first = inquire(api, terminal, card_no, "000000")
    assert first.json()["code"] == "pin_incorrect"
    assert first.json()["tries_left"] == 2
    assert api.settle(terminal, card_no, 100, pin="000001").json()["code"] == "pin_incorrect"
    assert inquire(api, terminal, card_no, "000002").json()["code"] == "pin_incorrect"
    assert inquire(api, terminal, card_no).json()["code"] == "pin_locked"
    decline(api.settle(terminal, card_no, 100), "pin_locked")


def test_r_set_4_the_held_balance_of_a_replaced_card_shows_until_it_moves(api: Api, clock: FixedClock) -> None:
    """R-REP-6 across banks: the old balance is held on the new card until the transfer."""
    api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"production_working_days": 0})
    person, card_no = funded_card(api, balance=7_000)
    api.report_loss(card_no)
    replacement = api.replace(card_no, "lost", bank="CCB")
    body = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    collected = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert collected.status_code == 200, collected.text
    new_no = collected.json()["new_card"]["card_no"]
    assert api.call("POST", f"/v1/cards/{new_no}/activate", api.clerk, json={"pin": "135790"}).status_code == 200
    api.deposit(int(person["person_id"]), 500)
    read = inquire(api, api.headers(Role.BANK, bank="CCB"), new_no, "135790")
    assert read.status_code == 200, read.text
    assert read.json() == {"balance": 7_500, "held": 7_000}
    decline(api.settle(api.terminal(), new_no, 501, pin="135790"), "insufficient_balance")


# --- idempotency for offline uploads, metrics ---------------------------------------------------


def test_an_offline_upload_with_a_used_key_replays_or_is_a_mismatch(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    terminal = api.terminal()
    at = clock.now().isoformat()
    tx = {"local_id": "a", "card_no": card_no, "amount": 700, "category": "drug", "occurred_at": at, "list_version": 0}
    tx = api.prove(terminal, tx)
    first = api.call(
        "POST", "/v1/settlements/offline", terminal | {"Idempotency-Key": "u-1"}, json={"transactions": [tx]}
    )
    assert first.status_code == 200, first.text
    again = api.call(
        "POST", "/v1/settlements/offline", terminal | {"Idempotency-Key": "u-1"}, json={"transactions": [tx]}
    )
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = {"transactions": [tx | {"local_id": "b"}]}
    mismatch = api.call("POST", "/v1/settlements/offline", terminal | {"Idempotency-Key": "u-1"}, json=other)
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "idempotency_mismatch")
    assert balance(api, person) == 9_300


def sample(api: Api, name: str, **labels: str) -> float:
    response = api.metrics()
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for point in family.samples:
            if point.name == name and all(point.labels.get(k) == v for k, v in labels.items()):
                return float(point.value)
    return 0.0


def test_metrics_count_settlements_by_outcome_and_time_them(api: Api) -> None:
    _, card_no = funded_card(api, balance=1_000)
    terminal = api.terminal()
    before = (
        sample(api, "sscard_settlements_total", channel="online", outcome="approved"),
        sample(api, "sscard_settlements_total", channel="online", outcome="insufficient_balance"),
        sample(api, "sscard_settlement_seconds_count"),
    )
    assert api.settle(terminal, card_no, 600).status_code == 201
    decline(api.settle(terminal, card_no, 600), "insufficient_balance")
    after = (
        sample(api, "sscard_settlements_total", channel="online", outcome="approved"),
        sample(api, "sscard_settlements_total", channel="online", outcome="insufficient_balance"),
        sample(api, "sscard_settlement_seconds_count"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 2]


def test_metrics_count_offline_uploads_by_outcome(api: Api, clock: FixedClock) -> None:
    _, card_no = funded_card(api, balance=1_000)
    _, lost_no = funded_card(api)
    api.report_loss(lost_no)
    clock.advance(timedelta(minutes=1))
    outcomes = ["posted", "compensated", "offline_limit_exceeded", "insufficient_balance"]
    before = [sample(api, "sscard_settlements_total", channel="offline", outcome=o) for o in outcomes]
    at = clock.now().isoformat()
    base = {"category": "drug", "occurred_at": at, "list_version": 0}
    transactions = [
        base | {"local_id": "p", "card_no": card_no, "amount": 100},
        base | {"local_id": "c", "card_no": lost_no, "amount": 100},
        base | {"local_id": "l", "card_no": card_no, "amount": 20_001},
        base | {"local_id": "i", "card_no": card_no, "amount": 5_000},
    ]
    terminal = api.terminal()
    signed = [api.prove(terminal, t) for t in transactions]
    response = api.call("POST", "/v1/settlements/offline", terminal, json={"transactions": signed})
    assert [r["status"] for r in response.json()["results"]] == ["posted", "compensated", "rejected", "rejected"]
    after = [sample(api, "sscard_settlements_total", channel="offline", outcome=o) for o in outcomes]
    counted = {o: b - a for o, a, b in zip(outcomes, before, after, strict=True)}
    assert counted == dict.fromkeys(outcomes, 1.0)


def test_metrics_count_lagging_terminals(api: Api, clock: FixedClock) -> None:
    """R-INV-3: the scheduled job sets the lagging-terminals gauge."""
    _, card_no = funded_card(api)
    api.terminal()  # has applied no version at all
    api.report_loss(card_no)
    clock.advance(timedelta(minutes=31))
    done = run_due_jobs(api.rt)
    assert done["count_lagging_terminals"] >= 1
    assert sample(api, "sscard_terminals_lagging") == done["count_lagging_terminals"]
