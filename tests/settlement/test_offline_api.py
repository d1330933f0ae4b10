"""Offline uploads judged by liability (R-LIA-1, R-LIA-2; API.md /v1/settlements/offline).

A charge made before the card's first loss report is the holder's; one made at or after
it is compensated, and the compensation names who pays: the fund when the list could
not yet have reached the terminal, the institution when it knew or was stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response

from sscard.clock import CHINA_STANDARD_TIME, FixedClock
from sscard.roles import Role
from tests.api import Api

Json = dict[str, Any]


def funded_card(api: Api, balance: int = 10_000, region: str = "110105") -> tuple[Json, str]:
    person = api.person(region)
    card_no = str(api.card(int(person["person_id"]))["card_no"])
    if balance:
        api.deposit(int(person["person_id"]), balance)
    return person, card_no


def tx(local_id: str, card_no: str, at: datetime, *, amount: int = 1_000, version: int = 0, **fields: Any) -> Json:
    """One offline transaction; the instant is sent in China time to exercise offsets."""
    body: Json = {
        "local_id": local_id,
        "card_no": card_no,
        "amount": amount,
        "category": "drug",
        "occurred_at": at.astimezone(CHINA_STANDARD_TIME).isoformat(),
        "list_version": version,
    }
    return body | fields


def upload(api: Api, terminal: dict[str, str], *transactions: Json, key: str | None = None) -> Response:
    """Upload the transactions, each with its card's proof unless it brings its own (R-SET-6)."""
    headers = terminal | ({"Idempotency-Key": key} if key else {})
    signed = [t if "cryptogram" in t else api.prove(terminal, t) for t in transactions]
    return api.call("POST", "/v1/settlements/offline", headers, json={"transactions": signed})


def results(response: Response) -> list[Json]:
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def one(api: Api, terminal: dict[str, str], transaction: Json) -> Json:
    [result] = results(upload(api, terminal, transaction))
    assert result["local_id"] == transaction["local_id"]
    return result


def balance(api: Api, person: Json) -> int:
    return int(api.call("GET", f"/v1/persons/{person['person_id']}", api.clerk).json()["balance"])


def postings(api: Api, person: Json) -> list[tuple[str, int]]:
    items = api.call("GET", f"/v1/persons/{person['person_id']}/postings", api.clerk).json()["items"]
    return [(p["kind"], p["amount"]) for p in items]


def compensations(api: Api, person: Json) -> list[Json]:
    response = api.call("GET", "/v1/compensations", api.clerk, params={"person_id": person["person_id"]})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def list_version(api: Api) -> int:
    bank = api.headers(Role.BANK, bank="ICBC")
    response = api.call("GET", "/v1/invalid-list/snapshot", bank, params={"scope": "000000"})
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def report(api: Api, card_no: str, kind: str = "provisional") -> tuple[datetime, int]:
    """Report the card lost now: the report's instant and the list version it added."""
    before = list_version(api)
    reported = api.report_loss(card_no, kind)
    assert list_version(api) == before + 1
    return datetime.fromisoformat(reported["reported_at"]), before + 1


# --- R-LIA-1 / R-LIA-2: before, at and after the loss report ------------------------------


@pytest.mark.parametrize(
    ("offset", "status", "debited"),
    [
        (timedelta(seconds=-1), "posted", 1_000),
        (timedelta(0), "compensated", 0),
        (timedelta(seconds=1), "compensated", 0),
    ],
    ids=["one-second-before", "at-the-instant", "one-second-after"],
)
def test_r_lia_1_2_the_report_instant_divides_holder_from_compensation(
    api: Api, clock: FixedClock, offset: timedelta, status: str, debited: int
) -> None:
    person, card_no = funded_card(api)
    clock.advance(timedelta(hours=1))
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(minutes=1))
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + offset, version=entry_version - 1))
    assert result["status"] == status
    assert result["settlement_id"] is not None
    assert result.get("code") is None
    assert balance(api, person) == 10_000 - debited
    comps = compensations(api, person)
    if status == "posted":
        assert result.get("compensation_id") is None
        assert comps == []
    else:
        assert [c["compensation_id"] for c in comps] == [result["compensation_id"]]
        assert comps[0]["settlement_id"] == result["settlement_id"]
        assert comps[0]["amount"] == 1_000


def test_r_lia_2_a_compensated_charge_is_debited_then_credited_back(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    reported_at, _ = report(api, card_no)
    clock.advance(timedelta(minutes=10))
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + timedelta(minutes=5), amount=2_500))
    assert result["status"] == "compensated"
    assert postings(api, person)[:2] == [("compensation", 2_500), ("settlement", -2_500)]
    assert balance(api, person) == 10_000
    [comp] = compensations(api, person)
    assert (comp["amount"], comp["liable"], comp["status"]) == (2_500, "fund", "paid")
    assert api.call("GET", "/v1/compensations", api.holder(person), params={"person_id": person["person_id"]}).json()[
        "items"
    ] == [comp]
    stranger = api.person("110105")
    refused = api.call("GET", "/v1/compensations", api.holder(stranger), params={"person_id": person["person_id"]})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("after_report", "knew", "liable"),
    [
        (timedelta(minutes=5), False, "fund"),
        (timedelta(minutes=30), False, "fund"),
        (timedelta(minutes=30, seconds=1), False, "institution"),
        (timedelta(hours=2), False, "institution"),
        (timedelta(seconds=1), True, "institution"),
        (timedelta(0), True, "institution"),
    ],
    ids=["fresh-5min", "lag-exactly-30min", "stale-30min-1s", "stale-2h", "knew-1s", "knew-at-once"],
)
def test_r_lia_2_who_is_liable_follows_what_the_terminal_knew_and_how_stale_it_was(
    api: Api, clock: FixedClock, after_report: timedelta, knew: bool, liable: str
) -> None:
    person, card_no = funded_card(api)
    reported_at, entry_version = report(api, card_no)
    api.report_loss(api.card(int(api.person("510703")["person_id"]))["card_no"])  # a later version elsewhere
    clock.advance(after_report + timedelta(minutes=1))
    version = entry_version if knew else entry_version - 1
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + after_report, version=version))
    assert result["status"] == "compensated"
    assert [c["liable"] for c in compensations(api, person)] == [liable]
    assert balance(api, person) == 10_000


def test_r_lia_2_the_lag_tolerated_is_the_institutions_regional_policy(api: Api, clock: FixedClock) -> None:
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"max_list_lag_minutes": 5})
    assert put.status_code == 200, put.text
    person, card_no = funded_card(api)
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(minutes=20))
    # Two districts of one city: both follow Beijing's list, each under its own policy.
    chaoyang, haidian = api.terminal("110105"), api.terminal("110108")
    at = reported_at + timedelta(minutes=10)
    assert one(api, chaoyang, tx("b-1", card_no, at, version=entry_version - 1))["status"] == "compensated"
    assert one(api, haidian, tx("m-1", card_no, at, version=entry_version - 1))["status"] == "compensated"
    assert sorted(c["liable"] for c in compensations(api, person)) == ["fund", "institution"]


def test_r_lia_2_a_later_formal_report_keeps_the_first_reports_instant(api: Api, clock: FixedClock) -> None:
    """Liability runs from the first report, not from the formal one that follows."""
    person, card_no = funded_card(api)
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(hours=1))
    api.report_loss(card_no, "formal")
    clock.advance(timedelta(minutes=1))
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + timedelta(minutes=5), version=entry_version - 1))
    assert result["status"] == "compensated"
    assert [c["liable"] for c in compensations(api, person)] == ["fund"]


def test_r_lia_2_after_the_report_an_uncovered_charge_costs_the_holder_nothing(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api, balance=300)
    reported_at, _ = report(api, card_no)
    clock.advance(timedelta(minutes=10))
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + timedelta(minutes=1), amount=5_000))
    assert result["status"] == "compensated"
    assert result["compensation_id"] is not None
    assert balance(api, person) == 300
    assert [c["amount"] for c in compensations(api, person)] == [5_000]
    notes = api.call("GET", f"/v1/persons/{person['person_id']}/notifications", api.clerk).json()["items"]
    assert notes[0]["kind"] == "compensated"  # R-NOTE-1
    assert "50.00" in notes[0]["text"]


def test_r_lia_2_a_charge_while_reported_lost_is_compensated_even_after_the_lift(api: Api, clock: FixedClock) -> None:
    """The charge fell after the loss report; finding the card later does not make it the holder's."""
    person, card_no = funded_card(api)
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(hours=3))
    lifted = api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={})
    assert lifted.status_code == 200, lifted.text
    result = one(api, api.terminal(), tx("t-1", card_no, reported_at + timedelta(hours=1), version=entry_version - 1))
    assert result["status"] == "compensated"
    assert balance(api, person) == 10_000


def test_r_lia_1_2_a_card_reported_again_is_judged_by_the_report_in_force(api: Api, clock: FixedClock) -> None:
    """Lost, found, lost again: between the two reports the charges are the holder's;
    after the second, a terminal that only knew the first entry did not know."""
    person, card_no = funded_card(api)
    _, first_entry = report(api, card_no)
    clock.advance(timedelta(hours=1))
    assert api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", api.clerk, json={}).status_code == 200
    found = clock.now()
    clock.advance(timedelta(hours=1))
    reported_at, _ = report(api, card_no)
    clock.advance(timedelta(minutes=10))
    terminal = api.terminal()
    between = one(api, terminal, tx("between", card_no, found + timedelta(minutes=5), version=first_entry))
    after = one(api, terminal, tx("after", card_no, reported_at + timedelta(minutes=5), version=first_entry + 1))
    assert (between["status"], after["status"]) == ("posted", "compensated")
    assert [c["liable"] for c in compensations(api, person)] == ["fund"]
    assert balance(api, person) == 9_000


@pytest.mark.parametrize("reason", ["damaged", "expired"])
def test_r_lia_1_a_card_never_reported_lost_bears_its_own_charges(api: Api, clock: FixedClock, reason: str) -> None:
    """R-LIA-1/2 compensate charges after a *loss report*; a damaged or expired card
    that the holder still has was never reported, so its charges are the holder's."""
    person, card_no = funded_card(api)
    api.replace(card_no, reason)
    clock.advance(timedelta(hours=1))
    result = one(api, api.terminal(), tx("t-1", card_no, clock.now() - timedelta(minutes=30)))
    assert result["status"] == "posted"
    assert compensations(api, person) == []
    assert balance(api, person) == 9_000


# --- rejections ----------------------------------------------------------------------------


def test_offline_rejections_carry_their_code_and_move_no_money(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api, balance=1_500)
    clock.advance(timedelta(minutes=30))
    at = clock.now() - timedelta(minutes=10)
    newest = list_version(api)
    response = upload(
        api,
        api.terminal(),
        tx("limit", card_no, at, amount=20_001),
        tx("cash", card_no, at, category="cash"),
        tx("unknown", "1101050000000000", at),
        tx("version", card_no, at, version=newest + 1),
        tx("balance", card_no, at, amount=1_501),
    )
    got = {r["local_id"]: (r["status"], r["code"], r.get("settlement_id")) for r in results(response)}
    assert got == {
        "limit": ("rejected", "offline_limit_exceeded", None),
        "cash": ("rejected", "category_not_allowed", None),
        "unknown": ("rejected", "card_unknown", None),
        "version": ("rejected", "invalid_list_version", None),
        "balance": ("rejected", "insufficient_balance", None),
    }
    assert balance(api, person) == 1_500
    assert postings(api, person) == [("deposit", 1_500)]


def test_offline_results_keep_the_uploads_order_and_the_floor_limit_is_inclusive(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api, balance=50_000)
    clock.advance(timedelta(minutes=30))
    at = clock.now() - timedelta(minutes=10)
    transactions = [
        tx("c", card_no, at, amount=20_000),
        tx("a", card_no, at, amount=20_001),
        tx("b", card_no, at, amount=1, category="examination"),
    ]
    got = [(r["local_id"], r["status"]) for r in results(upload(api, api.terminal(), *transactions))]
    assert got == [("c", "posted"), ("a", "rejected"), ("b", "posted")]
    assert balance(api, person) == 29_999


def test_offline_floor_limit_is_the_institutions_regional_policy(api: Api, clock: FixedClock) -> None:
    put = api.call("PUT", "/v1/regions/110105/policy", api.admin, json={"offline_floor_limit": 500})
    assert put.status_code == 200, put.text
    _, card_no = funded_card(api)
    clock.advance(timedelta(minutes=2))  # charged after the card was issued (R-SET-6)
    at = clock.now() - timedelta(minutes=1)
    assert one(api, api.terminal("110105"), tx("x", card_no, at, amount=501))["code"] == "offline_limit_exceeded"
    assert one(api, api.terminal("110108"), tx("y", card_no, at, amount=501))["status"] == "posted"


def test_offline_upload_body_is_validated(api: Api, clock: FixedClock) -> None:
    _, card_no = funded_card(api)
    terminal = api.terminal()
    naive = tx("n", card_no, clock.now()) | {"occurred_at": "2026-03-02T09:00:00"}
    bodies: list[Json] = [
        {"transactions": []},
        {"transactions": [naive]},
        {"transactions": [tx("z", card_no, clock.now(), amount=0)]},
    ]
    for bad in bodies:
        response = api.call("POST", "/v1/settlements/offline", terminal, json=bad)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_request"
    assert api.call("POST", "/v1/settlements/offline", api.clerk, json={"transactions": [naive]}).status_code == 403


# --- replay ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "upload-7"], ids=["local-ids", "idempotency-key"])
def test_a_replayed_upload_changes_nothing_and_returns_the_same_results(
    api: Api, clock: FixedClock, key: str | None
) -> None:
    person, card_no = funded_card(api, balance=3_000)
    clock.advance(timedelta(hours=1))
    before = clock.now() - timedelta(minutes=30)
    reported_at, entry_version = report(api, card_no)
    clock.advance(timedelta(minutes=10))
    terminal = api.terminal()
    batch = [
        tx("pre", card_no, before, amount=1_000),
        tx("post", card_no, reported_at + timedelta(minutes=2), amount=700, version=entry_version - 1),
        tx("big", card_no, before, amount=25_000),
    ]
    first = results(upload(api, terminal, *batch, key=key))
    assert [r["status"] for r in first] == ["posted", "compensated", "rejected"]
    state = (balance(api, person), postings(api, person), compensations(api, person))
    clock.advance(timedelta(minutes=5))
    again = upload(api, terminal, *batch, key=key)
    assert results(again) == first
    assert (balance(api, person), postings(api, person), compensations(api, person)) == state
    assert state[0] == 2_000


def test_a_rejected_charge_stays_rejected_when_sent_again(api: Api, clock: FixedClock) -> None:
    """Replaying judges nothing anew: the upload's first answer stands."""
    person, card_no = funded_card(api, balance=100)
    terminal = api.terminal()
    clock.advance(timedelta(minutes=2))
    charge = tx("t-9", card_no, clock.now() - timedelta(minutes=1), amount=500)
    first = one(api, terminal, charge)
    assert (first["status"], first["code"]) == ("rejected", "insufficient_balance")
    api.deposit(int(person["person_id"]), 1_000)
    assert one(api, terminal, charge) == first
    assert balance(api, person) == 1_100


def test_local_ids_belong_to_their_terminal(api: Api, clock: FixedClock) -> None:
    person, card_no = funded_card(api)
    clock.advance(timedelta(minutes=2))
    charge = tx("same", card_no, clock.now() - timedelta(minutes=1))
    first, second = one(api, api.terminal(), charge), one(api, api.terminal(), charge)
    assert first["status"] == second["status"] == "posted"
    assert first["settlement_id"] != second["settlement_id"]
    assert balance(api, person) == 8_000
