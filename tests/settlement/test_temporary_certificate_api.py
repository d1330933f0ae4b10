"""The temporary certificate at the terminal (R-SET-5, R-REP-4; API.md /v1/settlements
with `{certificate_no, id_number, amount, category}`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from httpx2 import Response
from sqlalchemy import select

from sscard.cards.models import Card
from sscard.clock import CHINA_STANDARD_TIME, FixedClock, china_date
from sscard.roles import Role
from sscard.runtime import Runtime
from sscard.settlement.models import Settlement
from tests import factories
from tests.api import DEMO_PIN, Api
from tests.settlement.test_declines_api import balance, decline, inquire

Json = dict[str, Any]


def with_certificate(
    api: Api, reason: str = "lost", opening: int = 10_000, region: str = "110105", **person: Any
) -> tuple[Json, str, Json]:
    """A person whose card is being replaced: the person, the old card's number and the
    replacement with its collection certificate."""
    holder = api.person(region, **person)
    card_no = str(api.card(int(holder["person_id"]))["card_no"])
    api.deposit(int(holder["person_id"]), opening)
    if reason in ("lost", "stolen"):
        api.report_loss(card_no)
    return holder, card_no, api.replace(card_no, reason)


def pay(
    api: Api,
    terminal: dict[str, str],
    replacement: Json,
    id_number: str,
    amount: int = 500,
    *,
    category: str = "drug",
    key: str | None = None,
) -> Response:
    body = {
        "certificate_no": replacement["collection_certificate_no"],
        "id_number": id_number,
        "amount": amount,
        "category": category,
    }
    headers = terminal | ({"Idempotency-Key": key} if key else {})
    return api.call("POST", "/v1/settlements", headers, json=body)


def at_china_time(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), CHINA_STANDARD_TIME).astimezone(UTC)


def recorded(rt: Runtime, certificate_no: str) -> list[tuple[str, str, str | None, str | None, int | None]]:
    """Every attempt made with a certificate: (status, method, code, card_no, person_id)."""
    with rt.sessions() as session:
        stmt = select(Settlement).where(Settlement.certificate_no == certificate_no).order_by(Settlement.id)
        return [(r.status, r.method, r.code, r.card_no, r.person_id) for r in session.scalars(stmt)]


# --- it settles like the card -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["lost", "damaged"])
def test_r_set_5_the_certificate_settles_like_the_card_while_the_old_card_is_listed(
    api: Api, rt: Runtime, reason: str
) -> None:
    holder, old_card, replacement = with_certificate(api, reason)
    terminal = api.terminal()
    inquiry = api.call("GET", "/v1/invalid-list/inquiry", terminal, params={"card_no": old_card})
    assert inquiry.json()["invalid"] is True  # R-SET-2 still declines the old card itself
    decline(api.settle(terminal, old_card, 500), "card_invalid")
    response = pay(api, terminal, replacement, holder["id_number"], 2_550)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"settlement_id", "status", "amount", "balance_after", "at"}
    assert (body["status"], body["amount"], body["balance_after"]) == ("approved", 2_550, 7_450)
    assert balance(api, holder) == 7_450
    postings = api.call("GET", f"/v1/persons/{holder['person_id']}/postings", api.admin).json()["items"]
    assert (postings[0]["amount"], postings[0]["kind"]) == (-2_550, "settlement")
    assert postings[0]["ref"] == f"settlement:{body['settlement_id']}"
    number = replacement["collection_certificate_no"]
    assert recorded(rt, number) == [("approved", "certificate", None, None, holder["person_id"])]


def test_r_set_5_no_pin_the_id_number_is_compared_after_strip_and_upper(api: Api) -> None:
    id_number = next(
        n for s in range(1, 999) if (n := factories.id_number(birth=date(1985, 6, 1), sequence=s))[-1] == "X"
    )
    holder, _, replacement = with_certificate(api, id_number=id_number)
    response = pay(api, api.terminal(), replacement, f"  {id_number.lower()} ")
    assert response.status_code == 201, response.text
    assert balance(api, holder) == 9_500


def test_r_set_5_a_certificate_settlement_is_refunded_like_the_card(api: Api) -> None:
    holder, _, replacement = with_certificate(api)
    terminal = api.terminal()
    settled = pay(api, terminal, replacement, holder["id_number"], 3_000).json()
    refund = api.call("POST", f"/v1/settlements/{settled['settlement_id']}/refund", terminal, json={"amount": 1_000})
    assert refund.status_code == 201, refund.text
    assert balance(api, holder) == 8_000


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": 10_001}, "insufficient_balance"),
        ({"category": "cash"}, "category_not_allowed"),
        ({"category": "transfer"}, "category_not_allowed"),
        ({"designated": False}, "institution_not_designated"),
    ],
)
def test_r_set_5_the_cards_declines_apply_and_move_no_money(
    api: Api, rt: Runtime, change: dict[str, Any], code: str
) -> None:
    holder, _, replacement = with_certificate(api)
    terminal = api.terminal(designated=change.get("designated", True))
    response = pay(
        api,
        terminal,
        replacement,
        holder["id_number"],
        change.get("amount", 100),
        category=change.get("category", "drug"),
    )
    decline(response, code)
    assert balance(api, holder) == 10_000
    (attempt,) = recorded(rt, replacement["collection_certificate_no"])
    assert attempt[:3] == ("declined", "certificate", code)


def test_r_set_5_a_repeat_with_the_same_idempotency_key_returns_the_first_response(api: Api) -> None:
    holder, _, replacement = with_certificate(api)
    terminal = api.terminal()
    first = pay(api, terminal, replacement, holder["id_number"], 1_000, key="cert-1")
    again = pay(api, terminal, replacement, holder["id_number"], 1_000, key="cert-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert balance(api, holder) == 9_000
    other = pay(api, terminal, replacement, holder["id_number"], 2_000, key="cert-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_mismatch"


# --- certificate_invalid, certificate_expired, outside_issuing_region --------------------------------


def test_r_set_5_an_unknown_number_another_id_number_or_a_collected_card_are_all_certificate_invalid(
    api: Api, clock: FixedClock
) -> None:
    holder, _, replacement = with_certificate(api)
    other = api.person("110105")
    terminal = api.terminal()
    unknown = dict(replacement, collection_certificate_no="1101050000000000")
    refusals = [pay(api, terminal, unknown, holder["id_number"]), pay(api, terminal, replacement, other["id_number"])]
    clock.set(at_china_time(date.fromisoformat(replacement["ready_on"]), 9))
    body = {"id_number": holder["id_number"], "collection_certificate_no": replacement["collection_certificate_no"]}
    collected = api.call("POST", f"/v1/replacements/{replacement['replacement_id']}/collect", api.clerk, json=body)
    assert collected.status_code == 200, collected.text
    refusals.append(pay(api, api.terminal(), replacement, holder["id_number"]))
    for refusal in refusals:
        decline(refusal, "certificate_invalid")
    assert len({refusal.json()["detail"] for refusal in refusals}) == 1  # nothing tells which
    assert balance(api, holder) == 10_000


def test_r_set_5_the_certificate_of_a_cancelled_card_is_certificate_invalid(api: Api, rt: Runtime) -> None:
    """R-CARD-5: a cancelled card's account settles nothing more, not even by certificate."""
    holder, old_card, replacement = with_certificate(api)
    with rt.sessions() as session:
        session.scalars(select(Card).where(Card.card_no == old_card)).one().status = "cancelled"
        session.commit()
    decline(pay(api, api.terminal(), replacement, holder["id_number"]), "certificate_invalid")


def test_r_set_5_certificate_expired_after_last_valid_day(api: Api, clock: FixedClock) -> None:
    """R-REP-4: valid 60 China Standard Time days counted from the day after the
    application; the last valid day settles to its last second, the next day declines."""
    holder, _, replacement = with_certificate(api)
    applied_on = china_date(clock.now())
    last_day = date.fromisoformat(replacement["certificate_valid_until"])
    assert last_day == applied_on + timedelta(days=60)
    clock.set(at_china_time(last_day, 23, 59, 59))
    assert pay(api, api.terminal(), replacement, holder["id_number"]).status_code == 201
    clock.set(at_china_time(last_day + timedelta(days=1), 0))
    decline(pay(api, api.terminal(), replacement, holder["id_number"]), "certificate_expired")
    assert balance(api, holder) == 9_500


def test_r_set_5_the_validity_is_the_regions_temp_certificate_valid_days(api: Api, clock: FixedClock) -> None:
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"temp_certificate_valid_days": 5})
    assert put.status_code == 200, put.text
    holder, _, replacement = with_certificate(api)
    last_day = china_date(clock.now()) + timedelta(days=5)
    assert replacement["certificate_valid_until"] == last_day.isoformat()
    clock.set(at_china_time(last_day, 12))
    assert pay(api, api.terminal(), replacement, holder["id_number"]).status_code == 201
    clock.set(at_china_time(last_day + timedelta(days=1), 0, 0, 1))
    decline(pay(api, api.terminal(), replacement, holder["id_number"]), "certificate_expired")


def test_r_set_5_the_certificates_days_are_china_standard_time_days(api: Api, clock: FixedClock) -> None:
    """An application at 07:30 in Beijing is still the previous day in UTC."""
    clock.set(at_china_time(date(2026, 3, 3), 7, 30))
    holder, _, replacement = with_certificate(api)
    assert replacement["certificate_valid_until"] == "2026-05-02"
    clock.set(at_china_time(date(2026, 5, 3), 0, 0, 0))
    decline(pay(api, api.terminal(), replacement, holder["id_number"]), "certificate_expired")


@pytest.mark.parametrize(
    ("terminal_region", "approved"),
    [("110108", True), ("110101", True), ("130705", False), ("510703", False)],
    ids=["another-district-of-the-city", "the-holders-district", "another-province", "far-away"],
)
def test_r_set_5_only_designated_institutions_of_the_issuing_city_accept_it(
    api: Api, terminal_region: str, approved: bool
) -> None:
    holder, _, replacement = with_certificate(api, region="110101")
    response = pay(api, api.terminal(terminal_region), replacement, holder["id_number"])
    if approved:
        assert response.status_code == 201, response.text
    else:
        decline(response, "outside_issuing_region")
    assert balance(api, holder) == (9_500 if approved else 10_000)


# --- one way to pay, no bank function -------------------------------------------------------------


@pytest.mark.parametrize(
    "means",
    [
        {"certificate_no": "1101050000000000"},
        {"id_number": "110105199003070011"},
        {"certificate_no": "1101050000000000", "id_number": "110105199003070011", "card_no": "X", "pin": DEMO_PIN},
        {"certificate_no": "1101050000000000", "id_number": "110105199003070011", "ecert_token": "t"},
        {"certificate_no": "1101050000000000", "id_number": "110105199003070011", "pin": DEMO_PIN},
        {"certificate_no": "1101050000000000", "id_number": "1" * 19},
    ],
    ids=["number-alone", "id-alone", "and-card", "and-ecert", "and-pin", "id-too-long"],
)
def test_r_set_5_the_body_holds_exactly_one_way_to_pay(api: Api, means: Json) -> None:
    response = api.call("POST", "/v1/settlements", api.terminal(), json={"amount": 100, "category": "drug"} | means)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


def test_r_set_5_the_certificate_has_no_bank_function(api: Api) -> None:
    """R-REP-4, R-SET-5: no balance inquiry with the certificate, at a terminal or a bank."""
    holder, old_card, replacement = with_certificate(api)
    number = replacement["collection_certificate_no"]
    for who in (api.terminal(), api.headers(Role.BANK, bank="ICBC")):
        decline(inquire(api, who, number), "card_invalid")
        decline(inquire(api, who, old_card), "card_invalid")
        body = {"pin": DEMO_PIN, "certificate_no": number, "id_number": holder["id_number"]}
        refused = api.call("POST", f"/v1/cards/{old_card}/balance-inquiry", who, json=body)
        assert refused.status_code == 422, refused.text
