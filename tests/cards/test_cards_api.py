"""Issuing, reading, activating cards and their PINs (API.md /v1/cards, R-CARD-1, R-CARD-3)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import Response

from sscard.cards.numbers import make_card_no
from sscard.roles import Role
from tests.api import DEMO_PIN, Api

OTHER_PIN = "135790"
WRONG_PIN = "000000"
CARD_FIELDS = {"card_no", "person_id", "status", "bank", "region", "pin_locked", "replaced_by", "replacement_for"}


def holder_with_card(api: Api, *, bank: str = "ICBC", activate: bool = True) -> tuple[dict[str, Any], str]:
    """A Beijing person and the card_no of their card."""
    person = api.person()
    return person, api.card(person["person_id"], bank, activate=activate)["card_no"]


def read_card(api: Api, card_no: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/cards/{card_no}", api.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def cards_of(api: Api, person_id: int) -> list[dict[str, Any]]:
    response = api.call("GET", f"/v1/persons/{person_id}", api.admin)
    assert response.status_code == 200, response.text
    return list(response.json()["cards"])


def change_pin(api: Api, person: dict[str, Any], card_no: str, old: str, new: str) -> Response:
    return api.call("PUT", f"/v1/cards/{card_no}/pin", api.holder(person), json={"old_pin": old, "new_pin": new})


def assert_problem(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def fail_pin(api: Api, person: dict[str, Any], card_no: str, times: int) -> None:
    """Enter a wrong old PIN `times` times; each is refused with pin_incorrect."""
    for _ in range(times):
        assert_problem(change_pin(api, person, card_no, WRONG_PIN, OTHER_PIN), 403, "pin_incorrect")


def audit_actions(api: Api, card_no: str) -> list[str]:
    response = api.call("GET", "/v1/audit", api.admin, params={"object_id": card_no, "limit": 100})
    assert response.status_code == 200, response.text
    return [event["action"] for event in response.json()["items"]]


# --- issuing -------------------------------------------------------------------------


def test_clerk_issues_an_unactivated_card_numbered_in_the_persons_region(api: Api) -> None:
    person = api.person(region="110105")
    response = api.call("POST", f"/v1/persons/{person['person_id']}/cards", api.clerk, json={"bank": "ICBC"})
    assert response.status_code == 201, response.text
    card = response.json()
    assert len(card["card_no"]) == 16
    assert card["card_no"].isdigit()
    assert card["card_no"].startswith("110105")
    assert card["status"] == "unactivated"
    assert card["bank"] == "ICBC"
    assert card["person_id"] == person["person_id"]
    assert card["pin_locked"] is False
    assert [c["card_no"] for c in cards_of(api, person["person_id"])] == [card["card_no"]]


def test_a_second_card_while_one_stands_is_card_exists(api: Api) -> None:
    """R-CARD-1: at most one usable card per person."""
    person, card_no = holder_with_card(api, activate=False)
    again = api.call("POST", f"/v1/persons/{person['person_id']}/cards", api.clerk, json={"bank": "CCB"})
    assert_problem(again, 409, "card_exists")
    assert [c["card_no"] for c in cards_of(api, person["person_id"])] == [card_no]


def test_an_unknown_bank_is_refused(api: Api) -> None:
    person = api.person()
    response = api.call("POST", f"/v1/persons/{person['person_id']}/cards", api.clerk, json={"bank": "NOBANK"})
    assert_problem(response, 422, "unknown_bank")
    assert cards_of(api, person["person_id"]) == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OPERATOR, Role.BANK, Role.AUDITOR, Role.TERMINAL])
def test_only_a_clerk_issues_a_card(api: Api, role: Role) -> None:
    person = api.person()
    who = api.headers(role, bank="ICBC") if role is Role.BANK else api.headers(role)
    response = api.call("POST", f"/v1/persons/{person['person_id']}/cards", who, json={"bank": "ICBC"})
    assert_problem(response, 403, "forbidden")
    assert cards_of(api, person["person_id"]) == []


def test_the_holder_cannot_issue_their_own_card(api: Api) -> None:
    person = api.person()
    response = api.call("POST", f"/v1/persons/{person['person_id']}/cards", api.holder(person), json={"bank": "ICBC"})
    assert_problem(response, 403, "forbidden")
    assert cards_of(api, person["person_id"]) == []


def test_a_clerk_of_another_region_cannot_issue(api: Api) -> None:
    person = api.person(region="110101")
    mianyang_clerk = api.headers(Role.CLERK, "510700")
    response = api.call("POST", f"/v1/persons/{person['person_id']}/cards", mianyang_clerk, json={"bank": "ICBC"})
    assert_problem(response, 403, "out_of_region")
    assert cards_of(api, person["person_id"]) == []


def test_a_card_for_an_unknown_person_is_not_found(api: Api) -> None:
    response = api.call("POST", "/v1/persons/987654321/cards", api.clerk, json={"bank": "ICBC"})
    assert_problem(response, 404, "not_found")


# --- reading -------------------------------------------------------------------------


def test_a_card_shows_the_fields_of_the_contract(api: Api) -> None:
    person, card_no = holder_with_card(api, bank="BOB", activate=False)
    card = read_card(api, card_no)
    assert card.keys() >= CARD_FIELDS
    assert card["card_no"] == card_no
    assert card["person_id"] == person["person_id"]
    assert card["status"] == "unactivated"
    assert card["bank"] == "BOB"
    assert card["region"] == "110101"
    assert card["pin_locked"] is False
    assert card["replaced_by"] is None
    assert card["replacement_for"] is None


@pytest.mark.parametrize(
    ("role", "region", "bank"),
    [
        (Role.CLERK, "110000", None),
        (Role.OPERATOR, "110101", None),
        (Role.AUDITOR, "000000", None),
        (Role.BANK, "000000", "ICBC"),
    ],
)
def test_staff_in_scope_see_the_card(api: Api, role: Role, region: str, bank: str | None) -> None:
    _, card_no = holder_with_card(api)
    response = api.call("GET", f"/v1/cards/{card_no}", api.headers(role, region, bank=bank))
    assert response.status_code == 200, response.text
    assert response.json()["card_no"] == card_no


def test_the_holder_sees_their_own_card(api: Api) -> None:
    person, card_no = holder_with_card(api)
    response = api.call("GET", f"/v1/cards/{card_no}", api.holder(person))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"


def test_another_cardholder_is_forbidden_the_card(api: Api) -> None:
    _, card_no = holder_with_card(api)
    stranger = api.person()
    assert_problem(api.call("GET", f"/v1/cards/{card_no}", api.holder(stranger)), 403, "forbidden")


def test_a_bank_user_of_another_bank_is_forbidden_the_card(api: Api) -> None:
    _, card_no = holder_with_card(api, bank="ICBC")
    ccb = api.headers(Role.BANK, bank="CCB")
    assert_problem(api.call("GET", f"/v1/cards/{card_no}", ccb), 403, "forbidden")


def test_staff_of_another_region_get_out_of_region(api: Api) -> None:
    _, card_no = holder_with_card(api)
    mianyang_clerk = api.headers(Role.CLERK, "510700")
    assert_problem(api.call("GET", f"/v1/cards/{card_no}", mianyang_clerk), 403, "out_of_region")


@pytest.mark.parametrize("card_no", [make_card_no("110101", 999_999_999), "1234", "110101abcdefghij"])
def test_an_unknown_card_is_not_found(api: Api, card_no: str) -> None:
    assert_problem(api.call("GET", f"/v1/cards/{card_no}", api.admin), 404, "not_found")


# --- activation and history ----------------------------------------------------------


def test_activation_with_a_six_digit_pin_makes_the_card_active(api: Api) -> None:
    _, card_no = holder_with_card(api, activate=False)
    response = api.call("POST", f"/v1/cards/{card_no}/activate", api.clerk, json={"pin": "135790"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert read_card(api, card_no)["status"] == "active"


@pytest.mark.parametrize("pin", ["13579", "1357900", "13579a", "１３５７９０", ""])
def test_a_pin_that_is_not_six_digits_is_invalid_request(api: Api, pin: str) -> None:
    _, card_no = holder_with_card(api, activate=False)
    response = api.call("POST", f"/v1/cards/{card_no}/activate", api.clerk, json={"pin": pin})
    assert_problem(response, 422, "invalid_request")
    assert any(error["field"] == "pin" for error in response.json()["errors"])
    assert read_card(api, card_no)["status"] == "unactivated"


def test_activating_twice_is_card_not_activatable(api: Api) -> None:
    person, card_no = holder_with_card(api)
    again = api.call("POST", f"/v1/cards/{card_no}/activate", api.clerk, json={"pin": OTHER_PIN})
    assert_problem(again, 409, "card_not_activatable")
    # The first PIN still stands: the refused activation did not set a new one.
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204


def test_the_holder_activates_their_own_card(api: Api) -> None:
    person, card_no = holder_with_card(api, activate=False)
    response = api.call("POST", f"/v1/cards/{card_no}/activate", api.holder(person), json={"pin": OTHER_PIN})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"


def test_another_cardholder_cannot_activate_the_card(api: Api) -> None:
    _, card_no = holder_with_card(api, activate=False)
    stranger = api.person()
    response = api.call("POST", f"/v1/cards/{card_no}/activate", api.holder(stranger), json={"pin": OTHER_PIN})
    assert_problem(response, 403, "forbidden")
    assert read_card(api, card_no)["status"] == "unactivated"


def test_history_lists_issue_then_activation_oldest_first(api: Api) -> None:
    person, card_no = holder_with_card(api)
    response = api.call("GET", f"/v1/cards/{card_no}/history", api.holder(person))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["from"], i["to"], i["reason"]) for i in items] == [
        (None, "unactivated", "issued"),
        ("unactivated", "active", "activated"),
    ]
    for item in items:
        assert set(item) == {"from", "to", "reason", "channel", "actor", "at"}
        assert item["actor"]
        assert item["at"].endswith(("Z", "+00:00", "+08:00"))
    assert items[0]["channel"] == "counter"


# --- PIN (R-CARD-3) ------------------------------------------------------------------


def test_the_holder_changes_the_pin(api: Api) -> None:
    person, card_no = holder_with_card(api)
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204
    assert_problem(change_pin(api, person, card_no, DEMO_PIN, "111111"), 403, "pin_incorrect")
    assert change_pin(api, person, card_no, OTHER_PIN, DEMO_PIN).status_code == 204


def test_the_cards_bank_changes_the_pin(api: Api) -> None:
    person, card_no = holder_with_card(api, bank="ICBC")
    icbc = api.headers(Role.BANK, bank="ICBC")
    body = {"old_pin": DEMO_PIN, "new_pin": OTHER_PIN}
    assert api.call("PUT", f"/v1/cards/{card_no}/pin", icbc, json=body).status_code == 204
    assert change_pin(api, person, card_no, OTHER_PIN, DEMO_PIN).status_code == 204


def test_a_wrong_old_pin_is_pin_incorrect_and_keeps_the_pin(api: Api) -> None:
    person, card_no = holder_with_card(api)
    assert_problem(change_pin(api, person, card_no, WRONG_PIN, OTHER_PIN), 403, "pin_incorrect")
    assert read_card(api, card_no)["pin_locked"] is False
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204


def test_three_wrong_pins_lock_the_card(api: Api) -> None:
    """R-CARD-3: the wrong-PIN count survives each refused request; 3 in a row lock."""
    person, card_no = holder_with_card(api)
    fail_pin(api, person, card_no, 2)
    assert read_card(api, card_no)["pin_locked"] is False
    fail_pin(api, person, card_no, 1)
    assert read_card(api, card_no)["pin_locked"] is True
    assert_problem(change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN), 403, "pin_locked")
    assert read_card(api, card_no)["pin_locked"] is True


def test_a_right_pin_in_between_resets_the_count(api: Api) -> None:
    """R-CARD-3: only wrong PINs in a row count."""
    person, card_no = holder_with_card(api)
    fail_pin(api, person, card_no, 2)
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204
    fail_pin(api, person, card_no, 2)
    assert read_card(api, card_no)["pin_locked"] is False
    assert change_pin(api, person, card_no, OTHER_PIN, DEMO_PIN).status_code == 204


def test_a_clerk_may_not_change_a_pin(api: Api) -> None:
    person, card_no = holder_with_card(api)
    body = {"old_pin": DEMO_PIN, "new_pin": OTHER_PIN}
    assert_problem(api.call("PUT", f"/v1/cards/{card_no}/pin", api.clerk, json=body), 403, "forbidden")
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204


def test_another_cardholder_may_not_change_the_pin(api: Api) -> None:
    person, card_no = holder_with_card(api)
    stranger = api.person()
    assert_problem(change_pin(api, stranger, card_no, DEMO_PIN, OTHER_PIN), 403, "forbidden")
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204


@pytest.mark.parametrize("who", ["clerk", "bank"])
def test_an_outlet_or_the_cards_bank_unlocks_the_pin(api: Api, who: str) -> None:
    """R-CARD-3: locked until unlocked at an outlet or bank."""
    person, card_no = holder_with_card(api, bank="ICBC")
    fail_pin(api, person, card_no, 3)
    unlocker = api.clerk if who == "clerk" else api.headers(Role.BANK, bank="ICBC")
    response = api.call("POST", f"/v1/cards/{card_no}/pin/unlock", unlocker, json={})
    assert response.status_code == 200, response.text
    assert response.json()["pin_locked"] is False
    assert read_card(api, card_no)["pin_locked"] is False
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204


@pytest.mark.parametrize("who", ["holder", "other_bank"])
def test_the_holder_or_another_bank_cannot_unlock(api: Api, who: str) -> None:
    person, card_no = holder_with_card(api, bank="ICBC")
    fail_pin(api, person, card_no, 3)
    caller = api.holder(person) if who == "holder" else api.headers(Role.BANK, bank="CCB")
    assert_problem(api.call("POST", f"/v1/cards/{card_no}/pin/unlock", caller, json={}), 403, "forbidden")
    assert read_card(api, card_no)["pin_locked"] is True


def test_a_region_policy_of_five_tries_locks_only_after_five(api: Api) -> None:
    """R-CARD-3: the limit is region policy pin_max_tries."""
    policy = api.call("PUT", "/v1/regions/110000/policy", api.admin, json={"pin_max_tries": 5})
    assert policy.status_code == 200, policy.text
    person, card_no = holder_with_card(api)
    fail_pin(api, person, card_no, 4)
    assert read_card(api, card_no)["pin_locked"] is False
    fail_pin(api, person, card_no, 1)
    assert read_card(api, card_no)["pin_locked"] is True
    assert_problem(change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN), 403, "pin_locked")


def test_every_state_change_of_a_card_is_audited(api: Api) -> None:
    person, card_no = holder_with_card(api)
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204
    fail_pin(api, person, card_no, 3)
    assert api.call("POST", f"/v1/cards/{card_no}/pin/unlock", api.clerk, json={}).status_code == 200
    actions = audit_actions(api, card_no)
    # Newest first.
    assert actions == ["card.pin_unlock", "card.pin_lock", "card.pin_change", "card.activate", "card.issue"]


def test_audit_events_never_carry_the_pin(api: Api) -> None:
    """R-CARD-3: PINs are never stored or logged in clear."""
    person, card_no = holder_with_card(api)
    assert change_pin(api, person, card_no, DEMO_PIN, OTHER_PIN).status_code == 204
    fail_pin(api, person, card_no, 3)
    response = api.call("GET", "/v1/audit", api.admin, params={"object_id": card_no})
    assert DEMO_PIN not in response.text
    assert OTHER_PIN not in response.text
