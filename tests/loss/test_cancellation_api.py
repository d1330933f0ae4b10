"""R-CARD-5: cancelling a card — listed, the bank told, the balance paid out, never lost."""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import Response

from sscard.clock import FixedClock
from sscard.roles import Role
from tests import factories
from tests.api import Api
from tests.loss.test_replacement_api import apply, collected

HEIR = {"name": "王大明", "id_number": factories.id_number("110102"), "relation": "heir"}
DEATH_DOCUMENTS = ["death_certificate", "heir_id_card", "inheritance_proof"]


def cancel(api: Api, card_no: str, who: dict[str, str] | None = None, **body: Any) -> Response:
    fields = {"reason": "request", "documents": ["resident_id_card"]} | body
    return api.call("POST", f"/v1/cards/{card_no}/cancellation", who or api.clerk, json=fields)


def holder_with_balance(api: Api, balance: int = 12_345, bank: str = "ICBC") -> tuple[dict[str, Any], str]:
    person = api.person("110101", phone="13800138000")
    card_no = str(api.card(person["person_id"], bank)["card_no"])
    api.deposit(person["person_id"], balance)
    return person, card_no


def postings(api: Api, person_id: int) -> list[dict[str, Any]]:
    return list(api.call("GET", f"/v1/persons/{person_id}/postings", api.clerk).json()["items"])


def test_r_card_5_a_cancelled_card_is_final_listed_and_its_balance_paid_to_the_holder(api: Api) -> None:
    person, card_no = holder_with_balance(api)
    response = cancel(api, card_no)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["card"]["status"] == "cancelled"
    assert body["payout"]["amount"] == 12_345
    assert (body["payout"]["payee_name"], body["payout"]["payee_relation"]) == (person["name"], "self")
    assert "*" in body["payout"]["payee_id_number"]
    latest = postings(api, person["person_id"])[0]
    assert (latest["kind"], latest["amount"], latest["ref"]) == ("payout", -12_345, card_no)
    inquiry = api.call("GET", f"/v1/invalid-list/inquiry?card_no={card_no}", api.clerk).json()
    assert (inquiry["invalid"], inquiry["reason"]) == (True, "cancelled")
    events = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, "110000", bank="ICBC")).json()["items"]
    assert [(e["kind"], e["card_no"], e["detail"]["reason"]) for e in events][-1] == (
        "cancellation",
        card_no,
        "request",
    )
    notes = api.call("GET", f"/v1/persons/{person['person_id']}/notifications", api.clerk).json()["items"]
    assert notes[0]["kind"] == "card_cancelled"
    assert "123.45" in notes[0]["text"]
    assert cancel(api, card_no).json()["code"] == "card_not_cancellable"


def test_r_card_5_the_closed_account_takes_no_more_money(api: Api) -> None:
    person, card_no = holder_with_balance(api)
    assert cancel(api, card_no).status_code == 200
    refused = api.call("POST", f"/v1/persons/{person['person_id']}/deposits", api.admin, json={"amount": 100})
    assert (refused.status_code, refused.json()["code"]) == (409, "account_closed")
    after = api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()
    assert after["balance"] == 0


def test_r_card_5_after_a_death_the_heir_is_paid_with_the_proof(api: Api) -> None:
    person, card_no = holder_with_balance(api, 5_000)
    missing = cancel(api, card_no, reason="death", documents=["death_certificate"], payee=HEIR)
    assert (missing.status_code, missing.json()["code"]) == (422, "documents_missing")
    assert missing.json()["missing"] == ["heir_id_card", "inheritance_proof"]
    nobody = cancel(api, card_no, reason="death", documents=DEATH_DOCUMENTS)
    assert (nobody.status_code, nobody.json()["code"]) == (422, "invalid_request")
    bad_id = cancel(api, card_no, reason="death", documents=DEATH_DOCUMENTS, payee=HEIR | {"id_number": "110101"})
    assert (bad_id.status_code, bad_id.json()["code"]) == (422, "invalid_id_number")
    the_holder = HEIR | {"id_number": person["id_number"]}
    assert cancel(api, card_no, reason="death", documents=DEATH_DOCUMENTS, payee=the_holder).status_code == 422
    assert api.call("GET", f"/v1/cards/{card_no}", api.clerk).json()["status"] == "active"  # nothing moved
    paid = cancel(api, card_no, reason="death", documents=DEATH_DOCUMENTS, payee=HEIR)
    assert paid.status_code == 200, paid.text
    assert paid.json()["payout"] | {"payee_id_number": None} == {
        "amount": 5_000,
        "payee_name": "王大明",
        "payee_id_number": None,
        "payee_relation": "heir",
    }
    assert postings(api, person["person_id"])[0]["memo"] == "paid to 王大明"


@pytest.mark.parametrize(
    ("reason", "documents", "missing"),
    [
        ("request", [], ["resident_id_card"]),
        ("emigration", ["household_register"], ["emigration_certificate"]),
        ("duplicate", ["resident_id_card"], ["duplicate_registration_record"]),
    ],
)
def test_r_card_5_each_reason_asks_for_its_documents(
    api: Api, reason: str, documents: list[str], missing: list[str]
) -> None:
    _, card_no = holder_with_balance(api)
    response = cancel(api, card_no, reason=reason, documents=documents)
    assert (response.status_code, response.json()["code"], response.json()["missing"]) == (
        422,
        "documents_missing",
        missing,
    )
    unknown = cancel(api, card_no, reason=reason, documents=["a_letter"])
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid_request")


def test_r_card_5_only_a_clerk_in_scope_cancels(api: Api) -> None:
    person, card_no = holder_with_balance(api)
    for who in (api.admin, api.headers(Role.BANK, bank="ICBC"), api.holder(person), api.headers(Role.OPERATOR)):
        assert cancel(api, card_no, who).status_code == 403
    elsewhere = cancel(api, card_no, api.headers(Role.CLERK, "130700"))
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "out_of_region")


def test_r_card_5_a_card_being_replaced_is_not_cancelled_but_its_successor_is(api: Api, clock: FixedClock) -> None:
    person, card_no = holder_with_balance(api, 7_000)
    api.report_loss(card_no)
    replacement = apply(api, card_no, bank="BOC").json()  # across banks: the balance waits (R-REP-6)
    assert cancel(api, card_no).json()["code"] == "replacement_exists"
    done = collected(api, clock, person, replacement)
    new_card = done["new_card"]["card_no"]
    cancelled = cancel(api, new_card)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["payout"]["amount"] == 7_000  # the held money too: never lost
    view = api.call("GET", f"/v1/replacements/{replacement['replacement_id']}", api.clerk).json()
    assert view["transfer"]["transferred_at"] is not None  # no transfer left to happen later
