"""Loss reports through the API: channels, documents, risk, lifting, expiry, bank events.

R-LOSS-1 … R-LOSS-6 and R-CARD-2 of DOMAIN.md; API.md /v1/cards/{no}/loss-reports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx2 import Response

from sscard.clock import FixedClock
from sscard.jobs import run_due_jobs
from sscard.roles import Role
from sscard.runtime import Runtime
from tests import factories
from tests.api import DEMO_PIN, Api
from tests.conftest import START

ZHANGJIAKOU_DISTRICT = "130702"


def assert_problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["code"] == code
    return body


def report(api: Api, card_no: str, who: dict[str, str], kind: str = "provisional", **body: Any) -> Response:
    return api.call("POST", f"/v1/cards/{card_no}/loss-reports", who, json={"kind": kind} | body)


def formal(api: Api, card_no: str, documents: list[str], reporter: dict[str, str] | None = None) -> Response:
    """A formal report at the counter, as a clerk."""
    return report(api, card_no, api.clerk, "formal", channel="counter", documents=documents, reporter=reporter)


def lift(api: Api, card_no: str, who: dict[str, str] | None = None) -> Response:
    return api.call("POST", f"/v1/cards/{card_no}/loss-reports/lift", who or api.clerk, json={})


def snapshot(api: Api, card_no: str) -> dict[str, Any]:
    """What a refusal must leave untouched: the card, its history and its reports."""
    card = api.call("GET", f"/v1/cards/{card_no}", api.admin)
    history = api.call("GET", f"/v1/cards/{card_no}/history", api.admin)
    reports = api.call("GET", f"/v1/cards/{card_no}/loss-reports", api.clerk)
    assert card.status_code == history.status_code == reports.status_code == 200
    events = bank_events(api, card.json()["bank"])["next_since"]
    card_state = card.json()
    if card_state["open_replacement"]:  # its production status follows the calendar, not the card
        del card_state["open_replacement"]["status"]
    return {"card": card_state, "history": history.json()["items"], "reports": reports.json()["items"], "ev": events}


def status_of(api: Api, card_no: str) -> str:
    return str(snapshot(api, card_no)["card"]["status"])


def holder_card(api: Api, region: str = "110101", *, activate: bool = True, **kw: Any) -> tuple[dict[str, Any], str]:
    person = api.person(region, **kw)
    return person, str(api.card(person["person_id"], "ICBC", activate=activate)["card_no"])


def caller(api: Api, role: str, person: dict[str, Any]) -> dict[str, str]:
    if role == "holder":
        return api.holder(person)
    if role == "bank":
        return api.headers(Role.BANK, bank="ICBC")
    return api.headers(Role(role))


def hotline_reporter(person: dict[str, Any], **changes: str) -> dict[str, str]:
    return {"relation": "self", "name": person["name"], "id_number": person["id_number"]} | changes


def set_policy(api: Api, region: str, **fields: int) -> None:
    response = api.call("PUT", f"/v1/regions/{region}/policy", api.admin, json=fields)
    assert response.status_code == 200, response.text


def bank_events(api: Api, bank: str = "ICBC", **params: int) -> dict[str, Any]:
    response = api.call("GET", "/v1/bank-events", api.headers(Role.BANK, bank=bank), params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- R-LOSS-1: a provisional report through any channel stops the card at once --------


@pytest.mark.parametrize(
    ("role", "channel"),
    [("holder", "online"), ("holder", "kiosk"), ("operator", "hotline"), ("clerk", "written"),
     ("clerk", "kiosk"), ("clerk", "counter"), ("bank", "bank")],
)  # fmt: skip
def test_r_loss_1_provisional_report_stops_the_card_in_the_same_response(api: Api, role: str, channel: str) -> None:
    person, card_no = holder_card(api)
    reporter = hotline_reporter(person) if channel in ("hotline", "written", "bank") else None
    response = report(api, card_no, caller(api, role, person), channel=channel, reporter=reporter)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["card_no"] == card_no
    assert (body["kind"], body["channel"], body["card_status"]) == ("provisional", channel, "provisional_loss")
    assert datetime.fromisoformat(body["reported_at"]) == START
    assert datetime.fromisoformat(body["expires_at"]) == START + timedelta(days=15)
    assert (body["risk"], body["reporter"]["relation"], isinstance(body["report_id"], int)) == ("none", "self", True)
    state = snapshot(api, card_no)
    assert state["card"]["status"] == "provisional_loss"
    last = state["history"][-1]
    assert (last["from"], last["to"], last["channel"]) == ("active", "provisional_loss", channel)


@pytest.mark.parametrize(
    ("role", "channel"),
    [("holder", "hotline"), ("holder", "written"), ("holder", "bank"), ("operator", "online"),
     ("operator", "written"), ("clerk", "hotline"), ("clerk", "bank"), ("clerk", "online"),
     ("bank", "written"), ("bank", "online")],
)  # fmt: skip
def test_r_loss_1_a_channel_the_role_does_not_answer_is_invalid_channel(api: Api, role: str, channel: str) -> None:
    person, card_no = holder_card(api)
    before = snapshot(api, card_no)
    refused = report(api, card_no, caller(api, role, person), channel=channel, reporter=hotline_reporter(person))
    assert_problem(refused, 422, "invalid_channel")
    assert snapshot(api, card_no) == before


@pytest.mark.parametrize(
    ("who", "channel"),
    [("admin", "written"), ("auditor", "written"), ("terminal", "written"), ("stranger", "online"), ("CCB", "bank")],
)
def test_r_loss_1_other_roles_cardholders_and_banks_are_forbidden(api: Api, who: str, channel: str) -> None:
    _, card_no = holder_card(api)
    headers = {"stranger": lambda: api.holder(api.person()), "CCB": lambda: api.headers(Role.BANK, bank="CCB")}
    refused = report(api, card_no, headers.get(who, lambda: api.headers(Role(who)))(), channel=channel)
    assert_problem(refused, 403, "forbidden")
    assert status_of(api, card_no) == "active"


def test_r_loss_1_the_hotline_identifies_the_caller_as_the_holder(api: Api) -> None:
    person, card_no = holder_card(api)
    before = snapshot(api, card_no)

    def call(reporter: dict[str, str] | None) -> Response:
        return report(api, card_no, api.headers(Role.OPERATOR, "110000"), channel="hotline", reporter=reporter)

    assert_problem(call(None), 422, "invalid_request")
    assert_problem(call({"relation": "self", "name": person["name"]}), 422, "invalid_request")
    assert_problem(call(hotline_reporter(person, name="李秀英")), 403, "identity_mismatch")
    assert_problem(call(hotline_reporter(person, id_number=factories.id_number())), 403, "identity_mismatch")
    assert snapshot(api, card_no) == before
    accepted = call(hotline_reporter(person, id_number=person["id_number"].lower()))
    assert accepted.status_code == 201, accepted.text
    # API.md: an operator does not see resident ID numbers in full.
    assert accepted.json()["reporter"]["id_number"] not in (person["id_number"], None)
    assert "*" in accepted.json()["reporter"]["id_number"]


# --- R-LOSS-4: any hour, weekends and holidays ----------------------------------------


# Sunday 8 March 03:00 in China; 17 February (Spring Festival 2026) at 10:00 and at 03:00 in China.
@pytest.mark.parametrize("at", [datetime(2026, 3, 7, 19, tzinfo=UTC), datetime(2026, 2, 17, 2, tzinfo=UTC),
                                datetime(2026, 2, 16, 19, tzinfo=UTC)])  # fmt: skip
def test_r_loss_4_reports_are_taken_at_any_hour_weekend_or_holiday(api: Api, clock: FixedClock, at: datetime) -> None:
    person, card_no = holder_card(api)
    clock.set(at)
    hotline = report(api, card_no, api.headers(Role.OPERATOR), channel="hotline", reporter=hotline_reporter(person))
    assert hotline.status_code == 201, hotline.text
    assert datetime.fromisoformat(hotline.json()["reported_at"]) == at
    assert hotline.json()["card_status"] == "provisional_loss"
    other, other_card = holder_card(api)
    online = report(api, other_card, api.holder(other), channel="online")
    assert online.status_code == 201, online.text


# --- R-LOSS-2 / R-LOSS-3: the formal report at the counter -----------------------------


@pytest.mark.parametrize(("role", "channel"), [("clerk", "written"), ("clerk", "kiosk"), ("holder", "online")])
def test_r_loss_2_a_formal_report_is_made_only_at_the_counter(api: Api, role: str, channel: str) -> None:
    person, card_no = holder_card(api)
    documents = ["resident_id_card", "employer_certificate"]
    refused = report(api, card_no, caller(api, role, person), "formal", channel=channel, documents=documents)
    assert_problem(refused, 422, "invalid_channel")
    assert status_of(api, card_no) == "active"


@pytest.mark.parametrize("identity", ["resident_id_card", "household_register"])
def test_r_loss_2_formal_report_in_person_makes_the_card_lost(api: Api, identity: str) -> None:
    _, card_no = holder_card(api)
    response = formal(api, card_no, [identity, "employer_certificate"])
    assert response.status_code == 201, response.text
    assert (response.json()["card_status"], response.json()["expires_at"]) == ("lost", None)
    assert status_of(api, card_no) == "lost"


def test_r_loss_2_an_agent_reports_formally_and_is_recorded(api: Api) -> None:
    person, card_no = holder_card(api, scheme="urban_resident")
    agent_id = factories.id_number("110102", birth=date(1965, 5, 1))
    agent = {"relation": "agent", "name": "李秀英", "id_number": agent_id, "reason": "the holder is bedridden"}
    documents = ["agent_id_card", "client_id_card", "client_id_card_copy", "neighbourhood_committee_certificate"]
    response = formal(api, card_no, documents, agent)
    assert response.status_code == 201, response.text
    assert response.json()["reporter"] == {"relation": "agent", "name": "李秀英", "id_number": agent_id}
    listed = snapshot(api, card_no)["reports"]
    assert [(r["kind"], r["reporter"]["name"]) for r in listed] == [("formal", "李秀英")]
    assert listed[0]["reporter"]["id_number"] == agent_id
    assert person["id_number"] != agent_id


@pytest.mark.parametrize(
    ("reporter", "status", "code"),
    [
        ({"relation": "agent", "name": "李秀英", "reason": "bedridden"}, 422, "invalid_request"),
        ({"relation": "agent", "id_number": "OTHER", "reason": "bedridden"}, 422, "invalid_request"),
        ({"relation": "agent", "name": "李秀英", "id_number": "OTHER"}, 422, "invalid_request"),
        ({"relation": "agent", "name": "李秀英", "id_number": "BAD", "reason": "bedridden"}, 422, "invalid_id_number"),
        ({"relation": "agent", "name": "李秀英", "id_number": "HOLDER", "reason": "bedridden"}, 422, "invalid_request"),
        ({"relation": "self", "name": "王小明", "id_number": "OTHER"}, 403, "identity_mismatch"),
    ],
)  # fmt: skip
def test_r_loss_2_an_agent_gives_name_valid_other_id_and_reason_and_the_holder_their_own_id(
    api: Api, reporter: dict[str, str], status: int, code: str
) -> None:
    person, card_no = holder_card(api)
    numbers = {"OTHER": factories.id_number("110102"), "HOLDER": person["id_number"], "BAD": "110101199003070000"}
    reporter = reporter | {k: numbers.get(v, v) for k, v in reporter.items() if k == "id_number"}
    documents = ["resident_id_card", "agent_id_card", "client_id_card", "client_id_card_copy", "employer_certificate"]
    before = snapshot(api, card_no)
    assert_problem(formal(api, card_no, documents, reporter), status, code)
    assert snapshot(api, card_no) == before


CERTIFICATES = {
    "urban_resident": "neighbourhood_committee_certificate",
    "rural_resident": "village_committee_certificate",
    "employee": "employer_certificate",
    "student": "school_certificate",
}


@pytest.mark.parametrize(("scheme", "certificate"), CERTIFICATES.items())
def test_r_loss_3_each_scheme_needs_its_own_certificate(api: Api, scheme: str, certificate: str) -> None:
    _, card_no = holder_card(api, scheme=scheme)
    before = snapshot(api, card_no)
    wrong = next(c for c in CERTIFICATES.values() if c != certificate)
    for documents in (["resident_id_card"], ["resident_id_card", wrong]):
        assert assert_problem(formal(api, card_no, documents), 422, "documents_missing")["missing"] == [certificate]
    assert snapshot(api, card_no) == before
    assert formal(api, card_no, ["resident_id_card", certificate]).status_code == 201


def test_r_loss_2_3_every_missing_document_is_named_and_unknown_ones_refused(api: Api) -> None:
    _, card_no = holder_card(api, scheme="rural_resident")
    agent = {"relation": "agent", "name": "李秀英", "id_number": factories.id_number("110102"), "reason": "old age"}
    before = snapshot(api, card_no)
    missing = assert_problem(formal(api, card_no, [], agent), 422, "documents_missing")["missing"]
    assert missing == ["agent_id_card", "client_id_card", "client_id_card_copy", "village_committee_certificate"]
    missing = assert_problem(formal(api, card_no, []), 422, "documents_missing")["missing"]
    assert missing == ["resident_id_card", "village_committee_certificate"]
    unknown = ["resident_id_card", "village_committee_certificate", "library_card"]
    assert_problem(formal(api, card_no, unknown), 422, "invalid_request")
    assert snapshot(api, card_no) == before


def test_r_card_1_a_card_already_in_that_loss_state_is_not_reportable(api: Api) -> None:
    _, card_no = holder_card(api)
    api.report_loss(card_no)
    before = snapshot(api, card_no)
    assert_problem(
        report(api, card_no, api.clerk, channel="written", reporter=api.caller_of(card_no)), 409, "card_not_reportable"
    )
    assert snapshot(api, card_no) == before
    assert api.report_loss(card_no, "formal")["card_status"] == "lost"
    reports = snapshot(api, card_no)["reports"]
    assert [(r["kind"], r["closed_reason"]) for r in reports] == [("provisional", "formalized"), ("formal", None)]
    before = snapshot(api, card_no)
    assert_problem(formal(api, card_no, ["resident_id_card", "employer_certificate"]), 409, "card_not_reportable")
    assert_problem(
        report(api, card_no, api.clerk, channel="written", reporter=api.caller_of(card_no)), 409, "card_not_reportable"
    )
    assert snapshot(api, card_no) == before


# --- R-CARD-2: the report records what makes the lost card a risk ----------------------


def test_r_card_2_a_never_activated_card_is_reported_as_unactivated(api: Api) -> None:
    _, card_no = holder_card(api, activate=False)
    body = api.report_loss(card_no)
    assert (body["risk"], body["card_status"]) == ("unactivated", "provisional_loss")
    assert "激活" in body["warning"]  # zh-CN unless the caller asks otherwise
    english = api.call("GET", f"/v1/cards/{card_no}/loss-reports", api.clerk | {"Accept-Language": "en"})
    assert "activated" in english.json()["items"][0]["warning"]


@pytest.mark.parametrize(("changed_by", "risk"), [("holder", "pin_changed"), ("bank", "none")])
def test_r_card_2_a_pin_the_holder_changed_is_reported_as_pin_changed(api: Api, changed_by: str, risk: str) -> None:
    # No route leaves an active card without a PIN (activation sets one), so `no_pin`
    # cannot arise through the API; a change by the bank is not the holder's.
    person, card_no = holder_card(api)
    new_pin = {"old_pin": DEMO_PIN, "new_pin": "135790"}
    assert api.call("PUT", f"/v1/cards/{card_no}/pin", caller(api, changed_by, person), json=new_pin).status_code == 204
    body = report(api, card_no, api.holder(person), channel="online").json()
    assert body["risk"] == risk
    # The guidance warns accordingly: each risk has its own warning.
    unactivated = api.report_loss(holder_card(api, activate=False)[1])["warning"]
    plain = api.report_loss(holder_card(api)[1])["warning"]
    assert (body["warning"] == plain) == (risk == "none")
    assert body["warning"] != unactivated


# --- R-LOSS-5: lifting a report ----------------------------------------------------------


LIFTERS = [("clerk", True, "active"), ("bank", True, "active"), ("holder", True, "active"),
           ("clerk", False, "unactivated")]  # fmt: skip


@pytest.mark.parametrize(("who", "activate", "status"), LIFTERS)
def test_r_loss_5_a_found_card_is_lifted_back_to_where_it_was(api: Api, who: str, activate: bool, status: str) -> None:
    person, card_no = holder_card(api, activate=activate)
    api.report_loss(card_no, "formal")
    response = lift(api, card_no, caller(api, who, person))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == status
    state = snapshot(api, card_no)
    assert (state["history"][-1]["from"], state["history"][-1]["to"]) == ("lost", status)
    assert state["reports"][-1]["closed_reason"] == "lifted"


@pytest.mark.parametrize("who", ["operator", "other_bank", "stranger"])
def test_r_loss_5_others_cannot_lift(api: Api, who: str) -> None:
    _, card_no = holder_card(api)
    api.report_loss(card_no)
    headers = {
        "operator": api.headers(Role.OPERATOR),
        "other_bank": api.headers(Role.BANK, bank="CCB"),
        "stranger": api.holder(api.person()),
    }[who]
    before = snapshot(api, card_no)
    assert_problem(lift(api, card_no, headers), 403, "forbidden")
    assert snapshot(api, card_no) == before


def test_r_loss_5_zhangjiakou_lifts_from_the_next_china_day(api: Api, clock: FixedClock) -> None:
    set_policy(api, "130700", lift_after_days=1)
    _, card_no = holder_card(api, ZHANGJIAKOU_DISTRICT)
    clock.set(datetime(2026, 3, 2, 15, 30, tzinfo=UTC))  # 23:30 in China
    api.report_loss(card_no)
    clock.set(datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))  # 23:59:59 the same China day
    before = snapshot(api, card_no)
    assert assert_problem(lift(api, card_no), 409, "lift_too_early")["earliest"] == "2026-03-03"
    assert snapshot(api, card_no) == before
    clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # 00:00 on 3 March in China
    assert lift(api, card_no).json()["status"] == "active"


@pytest.mark.parametrize(("case", "code"), [("replacement", "replacement_exists"), ("active", "card_not_lost")])
def test_r_loss_5_no_lift_after_a_replacement_application_or_without_a_loss(api: Api, case: str, code: str) -> None:
    _, card_no = holder_card(api)
    if case == "replacement":
        api.report_loss(card_no)
        api.replace(card_no, "lost")
    before = snapshot(api, card_no)
    assert_problem(lift(api, card_no), 409, code)
    assert snapshot(api, card_no) == before


# --- R-LOSS-5: provisional reports release themselves --------------------------------------


def test_r_loss_5_a_provisional_report_releases_itself_after_fifteen_days(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    _, card_no = holder_card(api)
    api.report_loss(card_no)
    clock.advance(timedelta(days=15) - timedelta(seconds=1))
    assert run_due_jobs(rt)["release_expired_provisional"] == 0
    assert status_of(api, card_no) == "provisional_loss"
    clock.advance(timedelta(seconds=1))
    assert run_due_jobs(rt)["release_expired_provisional"] == 1
    state = snapshot(api, card_no)
    assert state["card"]["status"] == "active"
    assert state["reports"][-1]["closed_reason"] == "expired"
    assert (state["history"][-1]["to"], state["history"][-1]["reason"]) == ("active", "provisional_expired")
    assert run_due_jobs(rt)["release_expired_provisional"] == 0
    assert snapshot(api, card_no) == state


def test_r_loss_5_a_regions_own_valid_days_and_an_unactivated_card(api: Api, rt: Runtime, clock: FixedClock) -> None:
    set_policy(api, "110000", provisional_valid_days=7)
    _, card_no = holder_card(api, activate=False)
    assert datetime.fromisoformat(api.report_loss(card_no)["expires_at"]) == START + timedelta(days=7)
    clock.advance(timedelta(days=7))
    assert run_due_jobs(rt)["release_expired_provisional"] == 1
    assert status_of(api, card_no) == "unactivated"


@pytest.mark.parametrize("case", ["formal", "lifted", "replaced"])
def test_r_loss_5_formal_lifted_or_replaced_reports_are_never_released(
    api: Api, rt: Runtime, clock: FixedClock, case: str
) -> None:
    _, card_no = holder_card(api)
    api.report_loss(card_no)
    if case == "formal":
        api.report_loss(card_no, "formal")
    elif case == "lifted":
        assert lift(api, card_no).status_code == 200
    else:
        api.replace(card_no, "lost")
    before = snapshot(api, card_no)
    clock.advance(timedelta(days=40))
    assert run_due_jobs(rt)["release_expired_provisional"] == 0
    assert snapshot(api, card_no) == before


# --- R-LOSS-6: the bank sees every loss and lift --------------------------------------------


def test_r_loss_6_the_bank_sees_loss_lift_and_replacement_events_of_its_own_cards(
    api: Api, rt: Runtime, clock: FixedClock
) -> None:
    _, card_no = holder_card(api)
    person_ccb = api.person()
    ccb_card = api.card(person_ccb["person_id"], "CCB")["card_no"]
    start = bank_events(api)["next_since"]
    api.report_loss(card_no)
    api.report_loss(ccb_card)
    lift(api, card_no)
    api.report_loss(card_no, "formal")
    api.replace(card_no, "lost")
    events = bank_events(api, since=start)
    assert [(e["kind"], e["card_no"]) for e in events["items"]] == [
        ("loss", card_no), ("lift", card_no), ("loss", card_no), ("replacement", card_no)
    ]  # fmt: skip
    assert [e["event_id"] for e in events["items"]] == sorted(e["event_id"] for e in events["items"])
    assert events["next_since"] == events["items"][-1]["event_id"]
    assert all(datetime.fromisoformat(e["at"]) == START for e in events["items"])
    assert [e["card_no"] for e in bank_events(api, "CCB")["items"]] == [ccb_card]
    clock.advance(timedelta(days=15))
    assert run_due_jobs(rt)["release_expired_provisional"] == 1
    released = bank_events(api, "CCB", since=bank_events(api, "CCB")["items"][0]["event_id"])["items"]
    assert [(e["kind"], e["card_no"]) for e in released] == [("lift", ccb_card)]


def test_r_loss_6_bank_events_page_with_since_and_limit(api: Api) -> None:
    start = bank_events(api)["next_since"]
    cards = [holder_card(api)[1] for _ in range(3)]
    for card_no in cards:
        api.report_loss(card_no)
    first = bank_events(api, since=start, limit=2)
    assert [e["card_no"] for e in first["items"]] == cards[:2]
    rest = bank_events(api, since=first["next_since"], limit=2)
    assert [e["card_no"] for e in rest["items"]] == cards[2:]
    empty = bank_events(api, since=rest["next_since"])
    assert empty == {"items": [], "next_since": rest["next_since"]}


@pytest.mark.parametrize("role", [Role.CLERK, Role.ADMIN, Role.OPERATOR, Role.CARDHOLDER, Role.BANK])
def test_r_loss_6_only_a_bank_login_reads_bank_events(api: Api, role: Role) -> None:
    # A bank role without a bank named in its login is not any bank's.
    assert_problem(api.call("GET", "/v1/bank-events", api.headers(role)), 403, "forbidden")
