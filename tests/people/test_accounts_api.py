"""Personal accounts, postings, reading a person and registration rules (API.md /v1/persons)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from httpx2 import Response

from sscard.roles import Role
from tests import factories
from tests.api import Api


def assert_problem(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def deposit(api: Api, person_id: int, amount: Any, who: dict[str, str]) -> Response:
    return api.call("POST", f"/v1/persons/{person_id}/deposits", who, json={"amount": amount})


def read_person(api: Api, person_id: int, who: dict[str, str] | None = None) -> dict[str, Any]:
    response = api.call("GET", f"/v1/persons/{person_id}", who or api.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def all_postings(api: Api, person_id: int) -> list[dict[str, Any]]:
    response = api.call("GET", f"/v1/persons/{person_id}/postings", api.admin, params={"limit": 200})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def new_person(region: str = "110101", **fields: object) -> dict[str, object]:
    return {"id_number": factories.id_number(region), "name": "王小明", "region": region, "scheme": "employee"} | fields


def register(api: Api, body: dict[str, object]) -> Response:
    return api.call("POST", "/v1/persons", api.clerk, json=body)


# --- deposits ------------------------------------------------------------------------


def test_admin_deposits_and_gets_the_new_balance(api: Api) -> None:
    """R-ACC-1: integer fen; each deposit is a posting."""
    person = api.person()
    first = deposit(api, person["person_id"], 10_000, api.admin)
    assert first.status_code == 201, first.text
    assert first.json() == {"balance": 10_000}
    second = deposit(api, person["person_id"], 250, api.admin)
    assert second.json() == {"balance": 10_250}
    assert read_person(api, person["person_id"])["balance"] == 10_250


@pytest.mark.parametrize("amount", [1.5, "100", 0, -5, 100.0, True, None])
def test_an_amount_that_is_not_positive_whole_fen_is_invalid_request(api: Api, amount: object) -> None:
    """R-ACC-1: money is integer fen, never floats or strings."""
    person = api.person()
    api.deposit(person["person_id"], 500)
    response = deposit(api, person["person_id"], amount, api.admin)
    assert_problem(response, 422, "invalid_request")
    assert any(error["field"] == "amount" for error in response.json()["errors"])
    assert read_person(api, person["person_id"])["balance"] == 500
    assert len(all_postings(api, person["person_id"])) == 1


def test_a_bank_credits_a_person_whose_card_it_holds(api: Api) -> None:
    """R-REP-6: the account is held at the bank of the person's card."""
    person = api.person()
    api.card(person["person_id"], "ICBC")
    response = deposit(api, person["person_id"], 800, api.headers(Role.BANK, bank="ICBC"))
    assert response.status_code == 201, response.text
    assert response.json() == {"balance": 800}


@pytest.mark.parametrize("card_bank", ["CCB", None])
def test_a_bank_may_not_credit_an_account_held_elsewhere(api: Api, card_bank: str | None) -> None:
    """R-REP-6: only the bank of the live card credits the account."""
    person = api.person()
    if card_bank is not None:
        api.card(person["person_id"], card_bank)
    response = deposit(api, person["person_id"], 800, api.headers(Role.BANK, bank="ICBC"))
    assert_problem(response, 403, "forbidden")
    assert read_person(api, person["person_id"])["balance"] == 0
    assert all_postings(api, person["person_id"]) == []


@pytest.mark.parametrize("role", [Role.CLERK, Role.OPERATOR, Role.AUDITOR, Role.TERMINAL])
def test_other_roles_may_not_deposit(api: Api, role: Role) -> None:
    person = api.person()
    assert_problem(deposit(api, person["person_id"], 800, api.headers(role)), 403, "forbidden")
    assert read_person(api, person["person_id"])["balance"] == 0


def test_the_holder_may_not_credit_their_own_account(api: Api) -> None:
    person = api.person()
    assert_problem(deposit(api, person["person_id"], 800, api.holder(person)), 403, "forbidden")
    assert read_person(api, person["person_id"])["balance"] == 0


# --- postings ------------------------------------------------------------------------


def test_postings_are_listed_newest_first(api: Api) -> None:
    person = api.person()
    for amount in (100, 200, 300):
        api.deposit(person["person_id"], amount)
    response = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.admin)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next"] is None
    assert [p["amount"] for p in page["items"]] == [300, 200, 100]
    for posting in page["items"]:
        assert {"at", "amount", "kind", "ref"} <= posting.keys()
        assert posting["kind"] == "deposit"


@pytest.mark.parametrize(("count", "limit", "sizes"), [(7, 3, [3, 3, 1]), (6, 3, [3, 3]), (2, 5, [2])])
def test_postings_pages_cover_every_posting_exactly_once(api: Api, count: int, limit: int, sizes: list[int]) -> None:
    person = api.person()
    amounts = [100 + i for i in range(count)]
    for amount in amounts:
        api.deposit(person["person_id"], amount)
    seen: list[int] = []
    page_sizes: list[int] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(count + 1):
        response = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.admin, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [p["amount"] for p in page["items"]]
        page_sizes.append(len(page["items"]))
        if page["next"] is None:
            break
        params = {"limit": limit, "cursor": page["next"]}
    assert page_sizes == sizes
    assert seen == list(reversed(amounts))


def test_the_holder_sees_their_own_postings(api: Api) -> None:
    person = api.person()
    api.deposit(person["person_id"], 700)
    response = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.holder(person))
    assert response.status_code == 200, response.text
    assert [p["amount"] for p in response.json()["items"]] == [700]


def test_another_holder_is_forbidden_the_postings(api: Api) -> None:
    person, stranger = api.person(), api.person()
    api.deposit(person["person_id"], 700)
    response = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.holder(stranger))
    assert_problem(response, 403, "forbidden")


def test_staff_of_another_region_get_out_of_region_for_postings(api: Api) -> None:
    person = api.person(region="110101")
    response = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.headers(Role.AUDITOR, "510700"))
    assert_problem(response, 403, "out_of_region")


# --- reading a person ----------------------------------------------------------------


def test_the_balance_is_the_sum_of_postings_and_cards_are_listed(api: Api) -> None:
    """R-ACC-1: the balance equals the sum of postings."""
    person = api.person()
    card = api.card(person["person_id"], "BOC")
    for amount in (1_000, 2_345, 1):
        api.deposit(person["person_id"], amount)
    shown = read_person(api, person["person_id"])
    assert shown["balance"] == 3_346
    assert shown["balance"] == sum(p["amount"] for p in all_postings(api, person["person_id"]))
    assert [(c["card_no"], c["status"], c["bank"]) for c in shown["cards"]] == [(card["card_no"], "active", "BOC")]


@pytest.mark.parametrize(("role", "region"), [(Role.CLERK, "110101"), (Role.ADMIN, "110000"), (Role.CLERK, "000000")])
def test_clerk_and_admin_see_the_id_number_in_full(api: Api, role: Role, region: str) -> None:
    person = api.person()
    shown = read_person(api, person["person_id"], api.headers(role, region))
    assert shown["id_number"] == person["id_number"]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.BANK, Role.AUDITOR, Role.CARDHOLDER])
def test_other_readers_see_the_id_number_masked(api: Api, role: Role) -> None:
    person = api.person()
    who = api.holder(person) if role is Role.CARDHOLDER else api.headers(role, bank="ICBC")
    shown = read_person(api, person["person_id"], who)
    full = person["id_number"]
    assert shown["id_number"] == full[:6] + "********" + full[-4:]


def test_another_holder_is_forbidden_the_person(api: Api) -> None:
    person, stranger = api.person(), api.person()
    assert_problem(api.call("GET", f"/v1/persons/{person['person_id']}", api.holder(stranger)), 403, "forbidden")


def test_an_unknown_person_is_not_found(api: Api) -> None:
    assert_problem(api.call("GET", "/v1/persons/987654321", api.admin), 404, "not_found")


# --- registration rules --------------------------------------------------------------


def test_an_ethnic_minority_name_with_a_middle_dot_is_accepted(api: Api) -> None:
    response = register(api, new_person(name="阿依古丽·买买提"))
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "阿依古丽·买买提"


@pytest.mark.parametrize("name", ["Wang Xiaoming", "王", "王 小明", "王1明"])
def test_a_name_not_written_in_chinese_characters_is_refused(api: Api, name: str) -> None:
    body = new_person(name=name)
    assert_problem(register(api, body), 422, "invalid_name")
    # Nothing was registered: the same ID number with a good name still goes through.
    assert register(api, body | {"name": "王小明"}).status_code == 201


@pytest.mark.parametrize("region", ["110199", "990000"])
def test_an_unknown_region_code_is_unknown_region(api: Api, region: str) -> None:
    body = new_person() | {"region": region}
    assert_problem(register(api, body), 422, "unknown_region")
    assert register(api, body | {"region": "110101"}).status_code == 201


def test_a_region_code_that_is_not_six_digits_is_invalid_request(api: Api) -> None:
    response = register(api, new_person() | {"region": "11010"})
    assert_problem(response, 422, "invalid_request")
    assert any(error["field"] == "region" for error in response.json()["errors"])


@pytest.mark.parametrize("scheme", ["retired", "EMPLOYEE", "", None])
def test_a_scheme_outside_the_four_is_invalid_request(api: Api, scheme: object) -> None:
    body = new_person(scheme=scheme)
    response = register(api, body)
    assert_problem(response, 422, "invalid_request")
    assert any(error["field"] == "scheme" for error in response.json()["errors"])


@pytest.mark.parametrize("scheme", ["employee", "urban_resident", "rural_resident", "student"])
def test_each_of_the_four_schemes_is_accepted(api: Api, scheme: str) -> None:
    response = register(api, new_person(scheme=scheme))
    assert response.status_code == 201, response.text
    assert response.json()["scheme"] == scheme


def test_an_unknown_field_is_invalid_request(api: Api) -> None:
    body = new_person(balance=1_000_000)
    response = register(api, body)
    assert_problem(response, 422, "invalid_request")
    assert any(error["field"] == "balance" for error in response.json()["errors"])
    created = register(api, {k: v for k, v in body.items() if k != "balance"})
    assert created.status_code == 201
    assert created.json()["balance"] == 0


def test_a_birth_date_in_the_future_is_invalid_id_number(api: Api) -> None:
    # The tests' clock stands at 2 March 2026 in Beijing.
    tomorrow = factories.id_number(birth=date(2026, 3, 3), sequence=7)  # a fixed serial: no date spreading
    assert_problem(register(api, new_person(id_number=tomorrow)), 422, "invalid_id_number")


def test_a_baby_born_today_can_be_registered(api: Api) -> None:
    today = factories.id_number(birth=date(2026, 3, 2), sequence=7)
    assert register(api, new_person(id_number=today)).status_code == 201


# --- authentication ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/persons/{id}", None),
        ("GET", "/v1/persons/{id}/postings", None),
        ("POST", "/v1/persons/{id}/deposits", {"amount": 100}),
        ("POST", "/v1/persons", {"name": "王小明"}),
    ],
)
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_without_a_valid_token_it_is_unauthenticated(
    api: Api, method: str, path: str, body: dict[str, Any] | None, token: str | None
) -> None:
    person = api.person()
    who = {"Authorization": f"Bearer {token}"} if token else {}
    response = api.call(method, path.format(id=person["person_id"]), who, json=body)
    assert_problem(response, 401, "unauthenticated")
    assert read_person(api, person["person_id"])["balance"] == 0
