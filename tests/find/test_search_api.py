"""R-FIND-1 through the API: GET /v1/persons?id_number= | card_no= | phone= | name=&birth_date=."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from httpx2 import Response
from sqlalchemy import update

from sscard.cards.models import Card
from sscard.clock import FixedClock
from sscard.db import transaction
from sscard.people.idnumber import check_character, mask_id_number
from sscard.roles import Role
from sscard.runtime import Runtime
from tests import factories
from tests.api import Api

PHONE = "13800138000"


def search(api: Api, who: dict[str, str] | None = None, /, **params: Any) -> Response:
    return api.call("GET", "/v1/persons", api.clerk if who is None else who, params=params)


def found(api: Api, who: dict[str, str] | None = None, /, **params: Any) -> list[int]:
    """The ids of the persons a search finds (one page)."""
    response = search(api, who, **params)
    assert response.status_code == 200, response.text
    return [p["person_id"] for p in response.json()["items"]]


def refused_fields(response: Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_request"
    return [e["field"] for e in body["errors"]]


def id_number_with_x(region: str = "110101", birth: date = date(1985, 6, 1)) -> str:
    """A valid ID number whose check character is X."""
    for sequence in range(1, 1000):
        first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
        if check_character(first17) == "X":
            return first17 + "X"
    raise AssertionError("no sequence gives X")  # pragma: no cover


def born_on(region: str, birth: date, sequence: int) -> str:
    """A valid ID number of someone born on that day (factories shift the day past 999 numbers)."""
    return factories.id_number(region, birth, sequence=sequence)


def collect_replacement(api: Api, clock: FixedClock, person: dict[str, Any], card_no: str) -> str:
    """Replace a lost card and collect the new one; the new card's number."""
    api.report_loss(card_no)
    replacement = api.replace(card_no)
    clock.set(datetime.combine(date.fromisoformat(replacement["ready_on"]), datetime.min.time(), UTC))
    body = {"id_number": person["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    collected = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert collected.status_code == 200, collected.text
    return str(replacement["new_card_no"])


# --- the four ways ---------------------------------------------------------------------


def test_r_find_1_by_id_number_trimmed_and_with_a_lower_case_x(api: Api) -> None:
    number = id_number_with_x()
    person = api.person(id_number=number)
    api.person()  # someone else, never found
    assert found(api, id_number=number) == [person["person_id"]]
    assert found(api, id_number=f"  {number[:-1]}x ") == [person["person_id"]]
    assert found(api, id_number=number[:-1] + "0") == []


def test_r_find_1_by_current_card_number_with_the_person_and_cards(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.card(api.person()["person_id"])
    response = search(api, card_no=card["card_no"])
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    assert (item["person_id"], item["id_number"], item["name"]) == (person["person_id"], person["id_number"], "王小明")
    assert [c["card_no"] for c in item["cards"]] == [card["card_no"]]
    assert response.json()["next"] is None


def test_r_find_1_old_card_number_finds_holder(api: Api, clock: FixedClock) -> None:
    person = api.person()
    old = api.card(person["person_id"])["card_no"]
    new = collect_replacement(api, clock, person, old)
    assert found(api, card_no=old) == found(api, card_no=new) == [person["person_id"]]
    (item,) = search(api, card_no=old).json()["items"]
    assert {c["card_no"]: c["status"] for c in item["cards"]} == {new: "unactivated", old: "replaced"}


def test_r_find_1_cancelled_card_number_finds_holder(api: Api, rt: Runtime) -> None:
    person = api.person()
    card_no = api.card(person["person_id"])["card_no"]
    # No route cancels a card on this branch yet (R-CARD-5); the state is what matters here.
    with transaction(rt.sessions) as session:
        session.execute(update(Card).where(Card.card_no == card_no).values(status="cancelled"))
    assert found(api, card_no=card_no) == [person["person_id"]]
    assert found(api, card_no=card_no[:-1] + str((int(card_no[-1]) + 1) % 10)) == []


def test_r_find_1_by_phone_everyone_sharing_it_by_id(api: Api) -> None:
    first = api.person(phone=PHONE)
    second = api.person(phone="138 0013 8000")  # stored without the spaces
    api.person(phone="13900139000")
    api.person()
    assert found(api, phone=PHONE) == [first["person_id"], second["person_id"]]
    assert found(api, phone="138 0013 8000") == [first["person_id"], second["person_id"]]
    assert found(api, phone="1380013800") == []


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("阿依古丽·买买提", id="middle-dot"),
        pytest.param("阿依古丽•买买提", id="bullet"),
        pytest.param("阿依古丽・买买提", id="katakana-dot"),
        pytest.param("阿依古丽･买买提", id="halfwidth-katakana-dot"),
        pytest.param(" 阿依古丽·买买提\u3000", id="padded"),
    ],
)
def test_r_find_1_by_name_and_birth_date_with_any_middle_dot(api: Api, typed: str) -> None:
    born = date(1992, 1, 15)
    person = api.person("510703", id_number=born_on("510703", born, 1), name="阿依古丽•买买提")
    api.person("510703", id_number=born_on("510703", date(1992, 1, 16), 2), name="阿依古丽·买买提")
    api.person("510703", id_number=born_on("510703", born, 3), name="阿依古丽")
    api.person("510703", id_number=born_on("510703", born, 4), name="买买提·阿依古丽")
    assert found(api, name=typed, birth_date="1992-01-15") == [person["person_id"]]


def test_r_find_1_names_compare_after_nfkc(api: Api) -> None:
    born = date(1990, 3, 7)
    person = api.person(id_number=born_on("110101", born, 1), name="王小明")
    kangxi_small = "\u2f29"  # KANGXI RADICAL SMALL, NFKC 小
    assert found(api, name=f"王{kangxi_small}明", birth_date=born.isoformat()) == [person["person_id"]]
    assert found(api, name="王小", birth_date=born.isoformat()) == []


def test_r_find_1_the_birth_date_comes_from_the_id_number(api: Api) -> None:
    born = date(1976, 11, 2)
    person = api.person(id_number=born_on("110101", born, 1), name="赵淑芬")
    api.person(id_number=born_on("110101", date(1976, 11, 3), 2), name="赵淑芬")
    assert found(api, name="赵淑芬", birth_date="1976-11-02") == [person["person_id"]]
    assert found(api, name="赵淑芬", birth_date="1976-11-04") == []
    assert found(api, name="赵淑芬", birth_date="1977-11-02") == []


# --- paging ----------------------------------------------------------------------------


def test_r_find_1_pages_follow_next_to_the_end(api: Api) -> None:
    ids = [api.person(phone=PHONE)["person_id"] for _ in range(5)]
    pages, cursor = [], None
    for _ in range(5):
        params = {"phone": PHONE, "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = search(api, **params).json()
        pages.append([p["person_id"] for p in body["items"]])
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert found(api, phone=PHONE) == ids  # the default limit holds them all


def test_r_find_1_a_full_last_page_says_there_is_no_next(api: Api) -> None:
    for _ in range(2):
        api.person(phone=PHONE)
    assert search(api, phone=PHONE, limit=2).json()["next"] is None


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_r_find_1_limit_is_bounded(api: Api, limit: int) -> None:
    assert refused_fields(search(api, phone=PHONE, limit=limit)) == ["limit"]


# --- refusals: exactly one way per request ---------------------------------------------


def test_r_find_1_no_way_at_all_is_invalid_request(api: Api) -> None:
    assert refused_fields(search(api)) == ["id_number", "card_no", "phone", "name", "birth_date"]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        pytest.param({"id_number": "110101199003074514", "phone": PHONE}, ["phone"], id="id-and-phone"),
        pytest.param({"card_no": "1101010000000013", "id_number": "x"}, ["card_no"], id="id-and-card"),
        pytest.param(
            {"phone": PHONE, "name": "王小明", "birth_date": "1990-03-07"}, ["name", "birth_date"], id="phone-and-name"
        ),
        pytest.param({"phone": PHONE, "birth_date": "1990-03-07"}, ["birth_date"], id="phone-and-birth-date"),
        pytest.param({"name": "王小明"}, ["birth_date"], id="name-without-birth-date"),
        pytest.param({"birth_date": "1990-03-07"}, ["name"], id="birth-date-without-name"),
        pytest.param({"id_number": "  "}, ["id_number"], id="blank-id-number"),
        pytest.param({"name": "", "birth_date": "1990-03-07"}, ["name"], id="empty-name"),
        pytest.param({"name": "王小明", "birth_date": "1990-02-30"}, ["birth_date"], id="no-such-date"),
        pytest.param({"name": "王小明", "birth_date": "07/03/1990"}, ["birth_date"], id="not-iso-date"),
    ],
)
def test_r_find_1_more_or_less_than_one_way_names_the_field(
    api: Api, params: dict[str, str], fields: list[str]
) -> None:
    assert refused_fields(search(api, **params)) == fields


# --- who may search, and what they see -------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLERK, Role.OPERATOR, Role.AUDITOR])
def test_r_find_1_every_staff_role_searches(api: Api, role: Role) -> None:
    person = api.person(phone=PHONE)
    assert found(api, api.headers(role), phone=PHONE) == [person["person_id"]]


def test_r_find_1_a_cardholder_is_forbidden_even_for_themself(api: Api) -> None:
    person = api.person(phone=PHONE)
    response = search(api, api.holder(person), id_number=person["id_number"])
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "items" not in response.json()


def test_r_find_1_a_terminal_is_forbidden_and_no_token_is_unauthenticated(api: Api) -> None:
    person = api.person(phone=PHONE)
    assert search(api, api.headers(Role.TERMINAL), phone=PHONE).json()["code"] == "forbidden"
    response = api.call("GET", "/v1/persons", None, params={"id_number": person["id_number"]})
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("role", "full"), [(Role.CLERK, True), (Role.ADMIN, True), (Role.OPERATOR, False), (Role.AUDITOR, False)]
)
def test_r_find_1_id_numbers_are_masked_unless_the_role_needs_them(api: Api, role: Role, full: bool) -> None:
    person = api.person()
    response = search(api, api.headers(role), id_number=person["id_number"])
    (item,) = response.json()["items"]
    assert item["id_number"] == (person["id_number"] if full else mask_id_number(person["id_number"]))
    assert person["id_number"] not in response.text or full


def test_r_find_1_a_bank_sees_only_the_holders_of_its_cards_masked(api: Api) -> None:
    own = api.person(phone=PHONE)
    other = api.person(phone=PHONE)
    api.person(phone=PHONE)  # no card at all
    own_card = api.card(own["person_id"], "ICBC")["card_no"]
    other_card = api.card(other["person_id"], "BOB")["card_no"]
    icbc = api.headers(Role.BANK, bank="ICBC")
    assert found(api, icbc, phone=PHONE) == [own["person_id"]]
    assert found(api, icbc, card_no=own_card) == [own["person_id"]]
    assert found(api, icbc, card_no=other_card) == []
    assert found(api, icbc, id_number=other["id_number"]) == []
    (item,) = search(api, icbc, card_no=own_card).json()["items"]
    assert item["id_number"] == mask_id_number(own["id_number"])


def test_r_find_1_outside_the_scope_is_simply_not_found(api: Api) -> None:
    beijing = api.person("110101", phone=PHONE)
    mianyang = api.person("510703", phone=PHONE)
    chaoyang = api.person("110105", phone=PHONE)
    assert found(api, api.headers(Role.CLERK, "110000"), phone=PHONE) == [beijing["person_id"], chaoyang["person_id"]]
    assert found(api, api.headers(Role.OPERATOR, "110101"), phone=PHONE) == [beijing["person_id"]]
    assert found(api, api.headers(Role.CLERK, "510700"), phone=PHONE) == [mianyang["person_id"]]
    assert found(api, api.admin, phone=PHONE) == [beijing["person_id"], mianyang["person_id"], chaoyang["person_id"]]


def test_r_find_1_an_explicit_search_outside_the_scope_reads_as_no_such_person(api: Api) -> None:
    """Asking for someone by their exact ID number or card must not tell that they exist."""
    mianyang = api.person("510703")
    card_no = api.card(mianyang["person_id"], "MYCCB")["card_no"]
    beijing_clerk = api.headers(Role.CLERK, "110000")
    nobody = search(api, beijing_clerk, id_number=factories.id_number("510703"))
    for response in (search(api, beijing_clerk, id_number=mianyang["id_number"]), nobody):
        assert (response.status_code, response.json()) == (200, {"items": [], "next": None})
    assert found(api, beijing_clerk, card_no=card_no) == []
    assert found(api, api.headers(Role.BANK, "110000", bank="MYCCB"), card_no=card_no) == []
