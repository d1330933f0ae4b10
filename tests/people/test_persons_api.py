"""Registering persons and reading them back (API.md /v1/persons)."""

from __future__ import annotations

from sscard.roles import Role
from tests import factories
from tests.api import Api


def new_person(region: str = "110101", **fields: object) -> dict[str, object]:
    return {"id_number": factories.id_number(region), "name": "王小明", "region": region, "scheme": "employee"} | fields


def test_clerk_registers_a_person_with_an_empty_account(api: Api) -> None:
    body = new_person(unit_name="某科技有限公司", phone="13800138000")
    response = api.call("POST", "/v1/persons", api.clerk, json=body)
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["id_number"] == body["id_number"]
    assert person["name"] == "王小明"
    assert person["region"] == "110101"
    assert person["scheme"] == "employee"
    assert person["balance"] == 0
    assert isinstance(person["person_id"], int)


def test_a_bad_check_digit_is_invalid_id_number(api: Api) -> None:
    good = factories.id_number()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = api.call("POST", "/v1/persons", api.clerk, json=new_person(id_number=wrong))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_id_number"


def test_the_same_id_number_twice_is_person_exists(api: Api) -> None:
    body = new_person()
    assert api.call("POST", "/v1/persons", api.clerk, json=body).status_code == 201
    again = api.call("POST", "/v1/persons", api.clerk, json=body | {"name": "李四"})
    assert again.status_code == 409
    assert again.json()["code"] == "person_exists"


def test_a_clerk_outside_the_region_is_refused(api: Api) -> None:
    mianyang_clerk = api.headers(Role.CLERK, "510700")
    response = api.call("POST", "/v1/persons", mianyang_clerk, json=new_person("110101"))
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_region"
