"""R-SEC-1: a bank acts only on its own cards and their events, in its region; a terminal
of an institution that is not designated may not check PINs or balances."""

from __future__ import annotations

from typing import Any

from httpx2 import Response

from sscard.roles import Role
from tests.api import DEMO_PIN, Api

Json = dict[str, Any]


def funded_card(api: Api, region: str, bank: str = "ICBC", balance: int = 5_000) -> str:
    person = api.person(region)
    card_no = str(api.card(int(person["person_id"]), bank)["card_no"])
    api.deposit(int(person["person_id"]), balance)
    return card_no


def inquire(api: Api, who: dict[str, str], card_no: str, pin: str = DEMO_PIN) -> Response:
    return api.call("POST", f"/v1/cards/{card_no}/balance-inquiry", who, json={"pin": pin})


def problem(response: Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["code"])


def pin_failures(api: Api, card_no: str) -> int:
    """How many tries are left, as the card's own terminal learns with a wrong PIN."""
    left = inquire(api, api.terminal(), card_no, "000000").json()["tries_left"]
    return 3 - int(left) - 1


def test_r_sec_1_a_bank_reads_no_balance_outside_its_region(api: Api) -> None:
    """The review's Beijing bank login guessed PINs on an ICBC card of Zhangjiakou."""
    zhangjiakou, beijing = funded_card(api, "130702"), funded_card(api, "110105")
    icbc_beijing = api.headers(Role.BANK, "110000", bank="ICBC")
    assert problem(inquire(api, icbc_beijing, zhangjiakou)) == (403, "out_of_region")
    assert problem(inquire(api, icbc_beijing, zhangjiakou, "999999")) == (403, "out_of_region")
    assert pin_failures(api, zhangjiakou) == 0  # the guess was never tried
    assert inquire(api, icbc_beijing, beijing).json() == {"balance": 5_000, "held": 0}
    icbc_hebei = api.headers(Role.BANK, "130000", bank="ICBC")
    assert inquire(api, icbc_hebei, zhangjiakou).json()["balance"] == 5_000


def test_r_sec_1_a_bank_out_of_scope_learns_nothing_of_the_cards_state(api: Api) -> None:
    card_no = funded_card(api, "130702")
    api.report_loss(card_no)
    assert problem(inquire(api, api.headers(Role.BANK, "110000", bank="ICBC"), card_no)) == (403, "out_of_region")
    assert problem(inquire(api, api.headers(Role.BANK, "130000", bank="CCB"), card_no)) == (403, "forbidden")
    assert problem(inquire(api, api.headers(Role.BANK, "130000", bank="ICBC"), card_no)) == (402, "card_invalid")


def test_r_sec_1_a_bank_reads_no_card_outside_its_region(api: Api) -> None:
    card_no = funded_card(api, "130702")
    for path in (f"/v1/cards/{card_no}", f"/v1/cards/{card_no}/history"):
        assert problem(api.call("GET", path, api.headers(Role.BANK, "110000", bank="ICBC"))) == (403, "out_of_region")
        assert api.call("GET", path, api.headers(Role.BANK, "130700", bank="ICBC")).status_code == 200


def test_r_sec_1_a_bank_sees_no_loss_events_outside_its_region(api: Api) -> None:
    def events(region: str) -> list[tuple[str, str]]:
        response = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, region, bank="ICBC"))
        assert response.status_code == 200, response.text
        return [(e["kind"], e["card_no"]) for e in response.json()["items"]]

    start = {region: len(events(region)) for region in ("110000", "130000", "000000")}
    zhangjiakou, beijing = funded_card(api, "130702"), funded_card(api, "110105")
    api.report_loss(zhangjiakou)
    api.report_loss(beijing)
    assert events("110000")[start["110000"] :] == [("loss", beijing)]
    assert events("130000")[start["130000"] :] == [("loss", zhangjiakou)]
    assert events("000000")[start["000000"] :] == [("loss", zhangjiakou), ("loss", beijing)]


def test_r_sec_1_a_non_designated_terminal_checks_no_pin_or_balance(api: Api) -> None:
    card_no = funded_card(api, "110105")
    undesignated = api.terminal(designated=False)
    for pin in (DEMO_PIN, "999999"):
        assert problem(inquire(api, undesignated, card_no, pin)) == (402, "institution_not_designated")
    assert problem(api.settle(undesignated, card_no, 100, pin="999999")) == (402, "institution_not_designated")
    assert pin_failures(api, card_no) == 0
    assert inquire(api, api.terminal(), card_no).json()["balance"] == 5_000
