"""PUT /v1/banks/{bank}/endpoint (R-NOTE-2, R-SEC-1): the admin or that bank registers
where the bank's events are pushed; no one else, and never for another bank."""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import Response

from sscard.roles import Role
from tests.api import Api

SECRET = "icbc-signing-secret-0123456789"
URL = "https://bank.example/sscard/events"


def put_endpoint(api: Api, who: dict[str, str], bank: str = "ICBC", **body: Any) -> Response:
    return api.call("PUT", f"/v1/banks/{bank}/endpoint", who, json={"url": URL, "secret": SECRET} | body)


def test_r_note_2_the_admin_registers_a_banks_endpoint(api: Api) -> None:
    response = put_endpoint(api, api.admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"bank": "ICBC", "url": URL, "pushed_through": 0, "failures": 0, "last_error": None}
    assert SECRET not in response.text


def test_r_note_2_a_bank_registers_its_own_endpoint_and_moves_it(api: Api) -> None:
    icbc = api.headers(Role.BANK, bank="ICBC")
    assert put_endpoint(api, icbc).status_code == 200
    moved = put_endpoint(api, icbc, url="https://other.example/hook")
    assert moved.status_code == 200
    assert moved.json()["url"] == "https://other.example/hook"


@pytest.mark.parametrize("who", ["another_bank", "clerk", "cardholder", "auditor"])
def test_r_sec_1_no_one_else_registers_a_banks_endpoint(api: Api, who: str) -> None:
    headers = {
        "another_bank": api.headers(Role.BANK, bank="CCB"),
        "clerk": api.clerk,
        "cardholder": api.headers(Role.CARDHOLDER, "110101", person_id=1),
        "auditor": api.headers(Role.AUDITOR),
    }[who]
    assert put_endpoint(api, headers).status_code == 403


def test_r_note_2_an_unknown_bank_a_short_secret_or_a_bad_url_is_refused(api: Api) -> None:
    assert put_endpoint(api, api.admin, bank="NOSUCH").status_code == 422
    assert put_endpoint(api, api.admin, secret="short").status_code == 422
    assert put_endpoint(api, api.admin, url="ftp://bank.example/x").status_code == 422


def test_r_note_2_pushing_starts_after_the_events_the_bank_could_already_poll(api: Api) -> None:
    person = api.person()
    card = api.card(person["person_id"])
    api.report_loss(card["card_no"])
    polled = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, bank="ICBC")).json()
    assert polled["items"], polled
    response = put_endpoint(api, api.headers(Role.BANK, bank="ICBC"))
    assert response.json()["pushed_through"] == polled["next_since"]
