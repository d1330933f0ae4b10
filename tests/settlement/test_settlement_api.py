"""Settlement at a designated pharmacy (R-SET, R-CARD-3, API.md /v1/settlements)."""

from __future__ import annotations

import pytest

from tests.api import Api


def funded_card(api: Api, balance: int = 10_000) -> tuple[dict[str, object], dict[str, object]]:
    person = api.person("110105")
    card = api.card(int(person["person_id"]))
    api.deposit(int(person["person_id"]), balance)
    return person, card


def test_an_approved_settlement_debits_the_account(api: Api) -> None:
    person, card = funded_card(api)
    response = api.settle(api.terminal(), str(card["card_no"]), 2_550)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "approved"
    assert body["amount"] == 2_550
    assert body["balance_after"] == 7_450
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"] == 7_450


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"pin": "000000"}, "pin_incorrect"),
        ({"amount": 10_001}, "insufficient_balance"),
        ({"category": "cash"}, "category_not_allowed"),
        ({"category": "transfer"}, "category_not_allowed"),
        ({"card_no": "1101050000000000"}, "card_invalid"),
    ],
)
def test_declines_are_402_with_their_code_and_move_no_money(api: Api, change: dict[str, object], code: str) -> None:
    person, card = funded_card(api)
    args: dict[str, object] = {"card_no": card["card_no"], "amount": 100, "pin": "246810", "category": "drug"} | change
    response = api.settle(
        api.terminal(),
        str(args["card_no"]),
        int(str(args["amount"])),
        pin=str(args["pin"]),
        category=str(args["category"]),
    )
    assert response.status_code == 402, response.text
    assert response.json()["code"] == code
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"] == 10_000


def test_a_card_reported_lost_is_declined_as_card_invalid(api: Api) -> None:
    """R-SET-2 and R-LOSS-1: from the report on, the card does not settle."""
    _, card = funded_card(api)
    api.report_loss(str(card["card_no"]))
    response = api.settle(api.terminal(), str(card["card_no"]), 100)
    assert response.status_code == 402
    assert response.json()["code"] == "card_invalid"


def test_a_pharmacy_that_is_not_designated_cannot_settle(api: Api) -> None:
    _, card = funded_card(api)
    response = api.settle(api.terminal(designated=False), str(card["card_no"]), 100)
    assert response.json()["code"] == "institution_not_designated"


def test_three_wrong_pins_at_the_terminal_lock_the_card(api: Api) -> None:
    """R-CARD-3, counted across refused requests."""
    _, card = funded_card(api)
    terminal = api.terminal()
    codes = [api.settle(terminal, str(card["card_no"]), 100, pin="111111").json()["code"] for _ in range(3)]
    assert codes == ["pin_incorrect"] * 3
    assert api.settle(terminal, str(card["card_no"]), 100).json()["code"] == "pin_locked"


def test_a_repeat_with_the_same_idempotency_key_returns_the_first_response(api: Api) -> None:
    person, card = funded_card(api)
    terminal = api.terminal()
    first = api.settle(terminal, str(card["card_no"]), 1_000, key="k-1")
    again = api.settle(terminal, str(card["card_no"]), 1_000, key="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"] == 9_000
    other = api.settle(terminal, str(card["card_no"]), 2_000, key="k-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_mismatch"


def test_a_declined_first_response_is_replayed_too(api: Api) -> None:
    _, card = funded_card(api, balance=50)
    terminal = api.terminal()
    first = api.settle(terminal, str(card["card_no"]), 100, key="k-2")
    api.deposit(int(str(card["person_id"])), 1_000)
    again = api.settle(terminal, str(card["card_no"]), 100, key="k-2")
    assert first.status_code == again.status_code == 402
    assert again.json()["code"] == "insufficient_balance"


def test_refunds_never_exceed_the_charge(api: Api) -> None:
    person, card = funded_card(api)
    terminal = api.terminal()
    settlement = api.settle(terminal, str(card["card_no"]), 3_000).json()
    partial = api.call(
        "POST", f"/v1/settlements/{settlement['settlement_id']}/refund", terminal, json={"amount": 1_000}
    )
    assert partial.status_code == 201, partial.text
    assert partial.json()["balance_after"] == 8_000
    too_much = api.call(
        "POST", f"/v1/settlements/{settlement['settlement_id']}/refund", terminal, json={"amount": 2_001}
    )
    assert too_much.status_code == 409
    rest = api.call("POST", f"/v1/settlements/{settlement['settlement_id']}/refund", terminal)
    assert rest.json()["amount"] == 2_000
    assert api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"] == 10_000


def test_an_e_certificate_settles_once_while_the_card_is_lost(api: Api) -> None:
    """R-SET-3."""
    person, card = funded_card(api)
    api.report_loss(str(card["card_no"]))
    token = api.call("POST", f"/v1/persons/{person['person_id']}/e-certificates", api.holder(person))
    assert token.status_code == 201, token.text
    terminal = api.terminal()
    body = {"ecert_token": token.json()["token"], "amount": 500, "category": "drug"}
    first = api.call("POST", "/v1/settlements", terminal, json=body)
    assert first.status_code == 201, first.text
    second = api.call("POST", "/v1/settlements", terminal, json=body)
    assert second.status_code == 402
    assert second.json()["code"] == "ecert_expired"
